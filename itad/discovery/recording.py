"""Writing what the devices said into the workflow: result rows, identity custody events, storage media.

- the chassis serial matches a device of the batch: that device's identity is confirmed (a custody event);
- the operator named the device at that address and the serials differ: mismatched (a custody event on
  the named device, with the manifest serial and the device's serial);
- it matches no device of the batch: unexpected, reported with what the device says;
- data-bearing media found in a confirmed device are added to it with source "snmp", so the workflow
  then requires their sanitization like any other medium.

Safe to run twice: events and media are looked up before they are added.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.discovery.credentials import scrub
from itad.models import Batch, CustodyEvent, Device, SnmpProbe, SnmpResult, StorageMedium, User, utcnow
from itad.snmp import DataBearingMedium, ManifestDevice, ProbeResult, reconcile
from itad.snmp.reconcile import data_bearing_media
from itad.steps import custody

CONFIRMED, MISMATCH = "identity_confirmed", "identity_mismatch"
# Media may join a device only while its media still wait for sanitization (as at the bench).
MEDIA_OPEN_STATES = ("registered", "unexpected", "received")
# SNMP cannot tell a spinning disk from an SSD behind the same hrDiskStorage row, so only flash is named;
# "unknown" media get the strictest method rules (workflows.sanitization), which is the safe side.
MEDIA_TYPES = {"flashMemory": "flash"}

# The probe's error texts (itad.snmp.session / probe) start with these; the status is what the API filters on.
_STATUS_BY_PREFIX = (
    ("no response", "unreachable"),
    ("cannot resolve", "unreachable"),
    ("gave up after", "timeout"),
    ("device answered garbage", "garbage"),
    ("authentication failed", "auth-failed"),
    ("decryption failed", "auth-failed"),
    ("the device does not accept this v3", "auth-failed"),
    ("v3 message outside", "auth-failed"),
    ("device refused", "refused"),
)


def status_of(result: ProbeResult) -> str:
    if result.ok:
        return "ok"
    error = result.error or ""
    return next((status for prefix, status in _STATUS_BY_PREFIX if error.startswith(prefix)), "error")


def record(session: Session, probe: SnmpProbe, rows: list[SnmpResult], results: list[ProbeResult],
           secrets: set[str]) -> dict:
    """Fill each pending row from its probe result and apply what it means to the batch."""
    batch = session.get(Batch, probe.batch_id) if probe.batch_id is not None else None
    actor = session.get(User, probe.requested_by_id) if probe.requested_by_id else None
    writes = _Workflow(session, batch, actor, probe) if batch is not None and batch.status == "open" else None
    devices = _batch_devices(session, batch)
    manifest = [ManifestDevice(d.id, d.serial, d.model, d.manufacturer) for d in devices.values()]
    for row, result in zip(rows, results):
        _fill(row, result, secrets)
        if batch is None:
            row.outcome, row.outcome_message = None, "No batch named: not compared with a manifest."
            row.media = [_medium_json(m, None, "no batch named") for m in data_bearing_media(result)]
            continue
        # Compared as stored: a serial with a NUL inside matches the manifest line without it.
        found = reconcile(dataclasses.replace(result, chassis_serial=row.chassis_serial), manifest,
                          expected_device_id=row.expected_device_id)
        row.outcome = "mismatched" if found.outcome == "mismatch" else found.outcome
        row.outcome_message = _text(scrub(found.message, secrets))
        row.device_id = found.device_id
        row.manifest_serial = found.expected_serial if found.outcome == "mismatch" else None
        if writes is None:
            row.outcome_message += f" (batch {batch.id} is closed: nothing recorded)"
            row.media = [_medium_json(m, None, "batch closed") for m in found.media]
        elif found.outcome == "confirmed":
            device = devices[found.device_id]
            writes.confirm(device, row)
            row.media = writes.add_media(device, found.media, row)
        else:
            if found.outcome == "mismatch" and row.expected_device_id in devices:
                writes.mismatch(devices[row.expected_device_id], row)
            why = "identity not confirmed" if found.outcome != "unidentified" else "device not identified"
            row.media = [_medium_json(m, None, why) for m in found.media]
    probe.finished_at = utcnow()
    session.flush()
    return summary(probe, rows, writes)


def summary(probe: SnmpProbe, rows: Iterable[SnmpResult], writes: "_Workflow | None" = None) -> dict:
    rows = list(rows)
    return {
        "probe_id": probe.id, "hosts": len(rows),
        "statuses": dict(Counter(r.status for r in rows)),
        "outcomes": dict(Counter(r.outcome for r in rows if r.outcome)),
        "media_added": writes.media_added if writes else 0,
        "events": writes.events if writes else 0,
        "links": {"results": f"/api/v1/snmp/probes/{probe.id}"},
    }


def _fill(row: SnmpResult, result: ProbeResult, secrets: set[str]) -> None:
    row.status = status_of(result)
    row.error = _text(scrub(result.error, secrets))
    row.sys_descr, row.sys_object_id = _text(result.sys_descr), _text(result.sys_object_id, 255)
    row.sys_name, row.sys_uptime = _text(result.sys_name, 255), result.sys_uptime
    row.chassis_serial, row.model = _text(result.chassis_serial, 255), _text(result.model, 255)
    row.manufacturer = _text(result.manufacturer, 255)
    row.entities = [_clean(_entity_json(e)) for e in result.entities]
    row.storage = [_clean({**dataclasses.asdict(s), "data_bearing": s.data_bearing}) for s in result.storage]
    row.seconds = result.seconds
    row.probed_at = utcnow()


def _text(value: str | None, limit: int | None = None) -> str | None:
    """Device text as a database takes it: PostgreSQL refuses NUL in text and JSON, columns have sizes."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    return value[:limit] if limit else value


def _clean(data: dict) -> dict:
    return {key: _text(value) if isinstance(value, str) else value for key, value in data.items()}


def _entity_json(entity) -> dict:
    data = dataclasses.asdict(entity)
    data["class"] = data.pop("class_")
    return data


def _medium_json(medium: DataBearingMedium, medium_id: int | None, not_added: str | None,
                 added: bool = False) -> dict:
    return {**_clean(dataclasses.asdict(medium)), "media_type": MEDIA_TYPES.get(medium.type, "unknown"),
            "medium_id": medium_id, "added": added, "not_added": not_added}


def _batch_devices(session: Session, batch: Batch | None) -> dict[int, Device]:
    if batch is None:
        return {}
    return {d.id: d for d in session.scalars(sa.select(Device).where(Device.batch_id == batch.id))}


class _Workflow:
    """The custody events and media one probe adds to one open batch."""

    def __init__(self, session: Session, batch: Batch, actor: User | None, probe: SnmpProbe):
        self.session, self.batch, self.actor, self.probe = session, batch, actor, probe
        self.events = self.media_added = 0
        # Locked before anything is read, so two probes of one batch finishing together cannot both find
        # an event or a medium missing and both add it.
        custody.lock_batch(session, batch.id)
        self._seen = {  # (device, action, reported serial) already in the chain: a re-run adds nothing
            (e.device_id, e.action, (e.evidence or {}).get("reported_serial"))
            for e in session.scalars(sa.select(CustodyEvent).where(
                CustodyEvent.batch_id == batch.id, CustodyEvent.action.in_((CONFIRMED, MISMATCH))))
        }

    def _append(self, device: Device, action: str, evidence: dict) -> None:
        custody.append(self.session, self.batch.id, device_id=device.id, actor=self.actor, action=action,
                       from_state=device.state, to_state=device.state,
                       evidence={"source": "snmp", "probe_id": self.probe.id, **evidence})
        self.events += 1

    def _identity(self, row: SnmpResult) -> dict:
        return {"address": row.address, "reported_serial": row.chassis_serial, "model": row.model,
                "manufacturer": row.manufacturer, "sys_object_id": row.sys_object_id, "sys_name": row.sys_name}

    def confirm(self, device: Device, row: SnmpResult) -> None:
        key = (device.id, CONFIRMED, row.chassis_serial)
        if key not in self._seen:
            self._seen.add(key)
            self._append(device, CONFIRMED, self._identity(row))

    def mismatch(self, device: Device, row: SnmpResult) -> None:
        key = (device.id, MISMATCH, row.chassis_serial)
        if key not in self._seen:
            self._seen.add(key)
            self._append(device, MISMATCH, {**self._identity(row), "manifest_serial": device.serial,
                                            "serial_belongs_to_device_id": row.device_id})

    def add_media(self, device: Device, found: list[DataBearingMedium], row: SnmpResult) -> list[dict]:
        """Add each medium the device has not got yet; say for each which row holds it, or why none."""
        if not found:
            return []
        if device.state not in MEDIA_OPEN_STATES:
            why = f"device is {device.state}: media found after sanitization need a person (destroy or re-open)"
            return [_medium_json(m, None, why) for m in found]
        existing = list(self.session.scalars(sa.select(StorageMedium).where(StorageMedium.device_id == device.id)
                                             .order_by(StorageMedium.id)))
        unclaimed = list(existing)
        out = []
        for medium in found:
            match = next((m for m in unclaimed if _same_medium(m, medium)), None)
            if match is not None:
                unclaimed.remove(match)
                out.append(_medium_json(medium, match.id, None))
                continue
            row_medium = StorageMedium(device_id=device.id, serial=_text(medium.serial, 120),
                                       media_type=MEDIA_TYPES.get(medium.type, "unknown"),
                                       model=_text(medium.descr, 200) or None, capacity_bytes=medium.size_bytes,
                                       source="snmp")
            self.session.add(row_medium)
            self.session.flush()
            self._append(device, "medium_added", {"medium_id": row_medium.id, "serial": row_medium.serial,
                                                  "media_type": row_medium.media_type, "address": row.address,
                                                  "found_as": medium.type, "capacity_bytes": medium.size_bytes})
            self.media_added += 1
            out.append(_medium_json(medium, row_medium.id, None, added=True))
        self.session.expire(device, ["media"])
        return out


def _same_medium(existing: StorageMedium, found: DataBearingMedium) -> bool:
    """A serial names a drive wherever it was recorded; without one, only an earlier SNMP row of the same
    description and size can be this medium (two identical disks stay two: each claims one row)."""
    if found.serial or existing.serial:
        return bool(found.serial and existing.serial) and \
            _text(found.serial, 120).strip().casefold() == existing.serial.strip().casefold()
    return (existing.source == "snmp" and existing.capacity_bytes == found.size_bytes
            and (existing.model or None) == (_text(found.descr, 200) or None)
            and existing.media_type == MEDIA_TYPES.get(found.type, "unknown"))
