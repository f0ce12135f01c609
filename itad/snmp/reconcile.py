"""Compare what a device says about itself with the client's manifest, and list the media it carries.

Pure logic over plain records: the caller passes the batch's devices (ORM rows, dataclasses, anything
with id/serial/model/manufacturer attributes) and stores the outcome however it likes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from itad.snmp.probe import ProbeResult

Outcome = Literal["confirmed", "mismatch", "unexpected", "unidentified"]


class DeviceRecord(Protocol):
    id: object
    serial: str | None
    model: str | None
    manufacturer: str | None


@dataclass(frozen=True)
class ManifestDevice:
    id: object
    serial: str | None
    model: str | None = None
    manufacturer: str | None = None


@dataclass(frozen=True)
class DataBearingMedium:
    """A storage medium found in the device that must be registered and sanitized."""

    type: str  # storageDrive (ENTITY-MIB), hardDisk/floppyDisk/opticalDiskRW... (hrDisk), flashMemory/fixedDisk...
    source: str  # "entity" | "hrDisk" | "hrStorage"
    serial: str | None = None
    size_bytes: int | None = None
    descr: str | None = None


@dataclass(frozen=True)
class Reconciliation:
    host: str
    outcome: Outcome
    message: str
    reported_serial: str | None = None
    device_id: object = None  # the manifest device whose serial the device reported, if any
    expected_device_id: object = None
    expected_serial: str | None = None
    media: list[DataBearingMedium] = field(default_factory=list)


def same_serial(a: str | None, b: str | None) -> bool:
    """Serials match case-insensitively, ignoring surrounding spaces; an empty serial matches nothing."""
    left, right = _normal(a), _normal(b)
    return bool(left) and left == right


def reconcile(result: ProbeResult, manifest_devices: list[DeviceRecord],
              expected_device_id: object = None) -> Reconciliation:
    """confirmed / mismatch / unexpected / unidentified (probe failed or the device told no serial)."""
    media = data_bearing_media(result)
    expected = next((d for d in manifest_devices if d.id == expected_device_id), None) \
        if expected_device_id is not None else None
    common = dict(host=result.host, media=media, expected_device_id=expected_device_id,
                  expected_serial=expected.serial if expected else None)
    serial = result.chassis_serial
    if not serial:
        why = result.error if not result.ok else "the device reported no serial number"
        return Reconciliation(outcome="unidentified", message=f"{result.host}: cannot identify: {why}", **common)

    match = next((d for d in manifest_devices if same_serial(d.serial, serial)), None)
    if expected is not None and not same_serial(expected.serial, serial):
        also = f"; that serial belongs to device {match.id} of this batch" if match else ""
        return Reconciliation(
            outcome="mismatch", reported_serial=serial, device_id=match.id if match else None,
            message=f"{result.host}: expected device {expected.id} with serial {expected.serial!r}, "
                    f"but the device reports serial {serial!r}{also}",
            **common)
    if expected_device_id is not None and expected is None:
        common["expected_serial"] = None  # aimed at a device outside this batch: judge by serial alone
    if match is None:
        return Reconciliation(outcome="unexpected", reported_serial=serial,
                              message=f"{result.host}: serial {serial!r} matches no device of this batch",
                              **common)
    return Reconciliation(outcome="confirmed", reported_serial=serial, device_id=match.id,
                          message=f"{result.host}: serial {serial!r} confirms device {match.id}", **common)


def data_bearing_media(result: ProbeResult) -> list[DataBearingMedium]:
    """Media to add to the device record.

    Physical disks (ENTITY-MIB storageDrive, hrDiskStorage) come first. hrStorage fixed/removable disk
    rows are file systems on those same disks, so they count only when no physical disk was reported,
    otherwise one drive would be registered twice. Flash areas are not in hrDiskStorage and always count.
    """
    media = [
        DataBearingMedium(type="storageDrive", source="entity", serial=entity.serial,
                          descr=entity.model_name or entity.descr)
        for entity in result.entities if entity.class_ == "storageDrive"
    ]
    media += [
        DataBearingMedium(type=entry.type, source="hrDisk", size_bytes=entry.size_bytes, descr=entry.descr)
        for entry in result.storage if entry.source == "hrDisk" and entry.data_bearing
    ]
    have_disks = bool(media)
    media += [
        DataBearingMedium(type=entry.type, source="hrStorage", size_bytes=entry.size_bytes, descr=entry.descr)
        for entry in result.storage
        if entry.source == "hrStorage" and entry.data_bearing and (entry.type == "flashMemory" or not have_disks)
    ]
    return media


def _normal(serial: str | None) -> str:
    return (serial or "").strip().casefold()
