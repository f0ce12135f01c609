"""Read erasure results from an eReuse Workbench snapshot (the JSON/YAML DeviceHub ingests).

A snapshot describes one computer: `device` (the chassis) and `components`; data-storage components
(HardDrive, SolidStateDrive, DataStorage) carry `actions`, among them the erasures: EraseBasic (one
overwrite pass per step), EraseSectors (overwrite with sector checks) and EraseCrypto where present.
Each erasure has `steps` (StepRandom, StepZero) and a `severity`: Info = done, Warning = done with a
warning, Error = failed. Both Workbench erasures overwrite from the host, so NIST SP 800-88 credits
them as Clear. Like the nwipe reader, bad input gives warnings, not exceptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STORAGE_TYPES = {"HardDrive": "hdd", "SolidStateDrive": "ssd", "DataStorage": "unknown"}
ERASURE_TECHNIQUES = {"EraseBasic": "overwrite", "EraseSectors": "overwrite", "EraseCrypto": "crypto_erase"}
SEVERITY_RESULTS = {"Info": "erased", "Notice": "erased", "Warning": "erased_with_warning", "Error": "failed"}


@dataclass
class StorageErasure:
    serial: str | None
    model: str | None
    manufacturer: str | None
    media_type: str                     # hdd / ssd / unknown
    size_mb: int | None
    interface: str | None
    erasure: str | None = None          # EraseBasic / EraseSectors / EraseCrypto; None: not erased
    technique: str | None = None
    nist_method: str | None = None
    result: str = "not_erased"
    steps: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    smart_status: str | None = None     # TestDataStorage status, e.g. "Completed: read failure"


@dataclass
class WorkbenchSnapshot:
    software: str | None = None
    version: str | None = None
    uuid: str | None = None
    device_serial: str | None = None
    device_model: str | None = None
    device_manufacturer: str | None = None
    device_type: str | None = None
    storage: list[StorageErasure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        import yaml  # PyYAML: only needed for snapshots that are real YAML rather than JSON

        return yaml.safe_load(text)


def parse_workbench_snapshot(text: str | bytes) -> WorkbenchSnapshot:
    report = WorkbenchSnapshot()
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = _load(text)
    except Exception as exc:  # noqa: BLE001 - report, don't crash, on a damaged upload
        report.warnings.append(f"not a readable snapshot: {type(exc).__name__}: {exc}")
        return report
    if not isinstance(data, dict):
        report.warnings.append("not a Workbench snapshot: the document is not an object")
        return report
    report.software, report.version, report.uuid = data.get("software"), data.get("version"), data.get("uuid")
    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    report.device_serial = device.get("serialNumber")
    report.device_model, report.device_manufacturer = device.get("model"), device.get("manufacturer")
    report.device_type = device.get("type")
    components = data.get("components")
    if not isinstance(components, list):
        report.warnings.append("snapshot has no components list")
        return report
    for c in components:
        if not isinstance(c, dict) or c.get("type") not in STORAGE_TYPES:
            continue
        size = c.get("size")
        medium = StorageErasure(c.get("serialNumber"), c.get("model"), c.get("manufacturer"),
                                STORAGE_TYPES[c["type"]], int(size) if isinstance(size, (int, float)) else None,
                                c.get("interface"))
        for action in c.get("actions") or []:
            if not isinstance(action, dict):
                continue
            kind = action.get("type")
            if kind in ERASURE_TECHNIQUES:
                medium.erasure, medium.technique = kind, ERASURE_TECHNIQUES[kind]
                medium.nist_method = "purge" if kind == "EraseCrypto" and medium.media_type != "unknown" else "clear"
                severity = action.get("severity")
                medium.result = SEVERITY_RESULTS.get(severity, "failed")
                if severity not in SEVERITY_RESULTS:
                    report.warnings.append(f"{medium.serial}: erasure severity {severity!r} unknown: counted as failed")
                medium.steps = [s.get("type") for s in action.get("steps") or [] if isinstance(s, dict)]
                medium.started_at, medium.ended_at = _time(action.get("startTime")), _time(action.get("endTime"))
            elif kind == "TestDataStorage":
                medium.smart_status = action.get("status")
        if not medium.serial:
            report.warnings.append(f"a {c['type']} without a serial number")
        report.storage.append(medium)
    return report
