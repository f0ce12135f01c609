"""Read Blancco erasure reports (XML).

A report is `root/report/blancco_data` with `description` (document_id, the product in
document_log/log_entry/author), `blancco_erasure_report` (erasures, one `erasure` per target drive) and
`blancco_hardware_report` (disks). Blancco writes every value as `<entry name="…">` inside
`<entries name="…">`; public integration code (flattening the names into columns such as
erasure.state, erasure.erasure_standard_name, erasure.target.serial) shows the paths read here.
Only the state "Successful" is an erase; any other state is a failure with the state quoted, and an
erasure without a state proves nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from workflows.media import capacity_bytes, media_type

from itad.erasure.results import DriveResult, ToolReport


def looks_like(text: str) -> bool:
    head = text[:4096]
    return "blancco_data" in head or "blancco_erasure_report" in text[:200_000]


def _values(node: Element) -> dict[str, Any]:
    """{name: text or nested dict} of an <entries> node; repeated names become lists."""
    out: dict[str, Any] = {}
    for child in node:
        name = child.get("name") or child.tag
        value = _values(child) if len(child) else (child.text or "").strip()
        if name in out:
            out[name] = out[name] if isinstance(out[name], list) else [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


def _named(node: Element | None, name: str) -> list[Element]:
    if node is None:
        return []
    return [c for c in node if (c.get("name") or c.tag) == name]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


# Standards named by the tool -> (technique, claimed method). A firmware command erases inside the drive;
# anything else Blancco runs is an overwrite from the host.
_STANDARDS = ((re.compile(r"crypt", re.I), "crypto_erase", "purge"),
              (re.compile(r"sanitiz|secure erase|purge|firmware", re.I), "firmware_sanitize", "purge"))


def read(text: str) -> ToolReport:
    report = ToolReport("blancco", "Blancco")
    try:
        root = ElementTree.fromstring(text.encode("utf-8"), forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        report.warnings.append(f"not a readable XML report: {type(exc).__name__}: {exc}")
        return report
    data = root.find(".//blancco_data")
    if data is None:
        report.warnings.append("no blancco_data element: not a Blancco report")
        return report
    description = _values(data.find("description")) if data.find("description") is not None else {}
    author = (((description.get("document_log") or {}).get("log_entry") or {}) if isinstance(
        description.get("document_log"), dict) else {}).get("author") or {}
    if isinstance(author, dict):
        report.tool = author.get("product_name") or "Blancco"
        report.version = author.get("product_version") or None
    erasure_report = data.find("blancco_erasure_report")
    erasures = [e for holder in _named(erasure_report, "erasures") for e in _named(holder, "erasure")]
    if not erasures:
        report.warnings.append("the report holds no erasure")
    disks = [_values(d) for holder in _named(data.find("blancco_hardware_report"), "disks")
             for d in _named(holder, "disk")]
    for position, node in enumerate(erasures, start=1):
        report.drives.append(_drive(position, _values(node), disks))
    return report


def _drive(position: int, e: dict[str, Any], disks: list[dict]) -> DriveResult:
    target = e.get("target") if isinstance(e.get("target"), dict) else {}
    serial = target.get("serial") or None
    disk = next((d for d in disks if serial and d.get("serial") == serial), {})
    standard = e.get("erasure_standard_name") or None
    technique, method = next(((t, m) for pattern, t, m in _STANDARDS if standard and pattern.search(standard)),
                             ("overwrite", "clear"))
    rounds = _int(e.get("overwriting_rounds"))
    drive = DriveResult("incomplete", device=f"erasure {position}", serial=serial,
                        manufacturer=target.get("vendor") or disk.get("vendor") or None,
                        model=target.get("model") or disk.get("model") or None,
                        capacity_bytes=capacity_bytes(target.get("capacity") or disk.get("capacity")),
                        media_type=media_type(target.get("type") or disk.get("type")),
                        method=method, technique=technique, passes=rounds,
                        started_at=_time(e.get("start_time")), finished_at=_time(e.get("end_time")))
    failure = e.get("erasure_details", {}).get("failure", {}) if isinstance(e.get("erasure_details"), dict) else {}
    drive.evidence = {"erasure_standard_name": standard, "state": e.get("state"),
                      "elapsed_time": e.get("elapsed_time"), "firmware_rounds": e.get("firmware_rounds"),
                      "total_erasure_rounds": e.get("total_erasure_rounds"),
                      "failure": failure.get("message") if isinstance(failure, dict) else None}
    state = (e.get("state") or "").strip() if isinstance(e.get("state"), str) else ""
    drive.line = f'state="{state}"' if state else None
    if state == "Successful":
        drive.outcome = "erased"
    elif state:
        drive.outcome = "failed"
        drive.reason = f"Blancco reports the erasure {state!r}" + (
            f": {drive.evidence['failure']}" if drive.evidence["failure"] else "")
    else:
        drive.reason = "the erasure has no state: the report does not show how it ended"
    return drive
