"""Receiving at the dock: scan a serial (or asset tag), find its manifest line, mark it received.

A unit that is on no manifest line of the batch is recorded as `unexpected` in that batch; it must be
reconciled (matched to a manifest line, or accepted as an extra) before the batch can close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Conflict, Invalid, NotFound
from itad.models import Batch, Device, StorageMedium, User, utcnow
from itad import notifications
from itad.steps import custody
from itad.steps.applying import apply_step, hold, plan_or_refuse
from itad.steps.planning import Planned, Step
from itad.steps.writing import write
from workflows.states import FOUND_AT_RECEIVING_STATE


@dataclass
class Receipt:
    device: Device
    outcome: str            # received, unexpected
    event: Any              # the custody event (a row as written, or the CustodyEvent)


def _find(session: Session, serial: str | None, asset_tag: str | None, batch_id: int | None) -> list[Device]:
    stmt = sa.select(Device).join(Batch, Batch.id == Device.batch_id).where(Batch.status == "open")
    if batch_id is not None:
        stmt = stmt.where(Device.batch_id == batch_id)
    if serial:
        # Scanners and people disagree on case; serials are compared upper-cased.
        stmt = stmt.where(sa.func.upper(Device.serial) == serial.strip().upper())
    else:
        stmt = stmt.where(sa.func.upper(Device.asset_tag) == asset_tag.strip().upper())
    # A unit already found as unexpected is not a manifest line: prefer real lines.
    return session.scalars(stmt.order_by(Device.manifest_row.is_(None), Device.id)).all()


def receive(session: Session, actor: User, *, serial: str | None = None, asset_tag: str | None = None,
            batch_id: int | None = None, evidence: dict | None = None,
            expected_version: int | None = None) -> Receipt:
    """Receive the unit with this serial (or asset tag), within a batch or among all open batches."""
    if not (serial or asset_tag):
        raise Invalid("Scan a serial or an asset tag.", code="nothing_scanned")
    if batch_id is not None:
        batch = session.get(Batch, batch_id)
        if batch is None:
            raise NotFound(f"No batch with id {batch_id}.")
        if batch.status != "open":
            raise Conflict(f"Batch {batch_id} is closed; nothing more can be received into it.",
                           code="batch_closed", details={"batch_status": batch.status, "allowed": [], "needs": []})
    found = [d for d in _find(session, serial, asset_tag, batch_id) if d.manifest_row is not None] or \
        _find(session, serial, asset_tag, batch_id)
    lines = [d for d in found if d.manifest_row is not None]
    if len({d.batch_id for d in lines}) > 1:
        raise Conflict(f"{serial or asset_tag} is on the manifest of several open batches; say which batch.",
                       code="ambiguous_serial",
                       details={"batches": sorted({d.batch_id for d in lines}), "allowed": [], "needs": ["batch_id"]})
    if found:
        device = found[0]
        planned = apply_step(session, actor, device.id,
                             Step("receive", {}, {"scanned": serial or asset_tag, **(evidence or {})}),
                             expected_version=expected_version)
        announce_if_received_in_full(session, device.batch_id)
        return Receipt(device, "received", planned.event)
    if not serial:
        # A refusal like an unknown serial's (422 saying what comes first), not a 404: nothing was looked up by id.
        raise Invalid(f"No open batch has a device with asset tag {asset_tag}; scan its serial to record it.",
                      code="unknown_asset_tag", details={"asset_tag": asset_tag, "needs": ["serial"]})
    if batch_id is None:
        raise Invalid(f"{serial} is on no open batch's manifest. Say which batch it arrived with "
                      "(batch_id) to record it as unexpected.", code="unknown_serial",
                      details={"serial": serial, "needs": ["batch_id"]})
    return _record_unexpected(session, actor, batch, serial, asset_tag, evidence)


def announce_if_received_in_full(session: Session, batch_id: int) -> None:
    """Called after an asset-list line was received (the batch is locked): when it was the last one expected,
    the client hears that the whole list arrived. Only that receipt takes the count to zero, so it is said once."""
    if session.scalar(sa.select(sa.func.count()).where(Device.batch_id == batch_id, Device.state == "registered")):
        return
    batch = session.get(Batch, batch_id)
    notifications.notify(session, batch.organization_id, "received_in_full",
                         {"batch_id": batch.id, "reference": batch.reference, "devices": batch.device_count})


def _record_unexpected(session: Session, actor: User, batch: Batch, serial: str, asset_tag: str | None,
                       evidence: dict | None) -> Receipt:
    custody.lock_batch(session, batch.id)
    device = Device(batch_id=batch.id, organization_id=batch.organization_id, serial=serial.strip(),
                    asset_tag=asset_tag, state=FOUND_AT_RECEIVING_STATE, manifest_row=None)
    session.add(device)
    session.flush()
    event = custody.append(session, batch.id, device_id=device.id, actor=actor, action="found_unexpected",
                           to_state=device.state, evidence={"serial": device.serial, **(evidence or {})})
    notifications.notify(session, batch.organization_id, "discrepancy_found",
                         {"batch_id": batch.id, "reference": batch.reference, "serial": device.serial,
                          "device_id": device.id, "kind": "unexpected unit"})
    return Receipt(device, "unexpected", event)


# What the bench may say of an accepted extra unit, and how long each may be (the device's columns).
DESCRIBED = {"manufacturer": 120, "model": 200, "category": 60}


def reconcile(session: Session, actor: User, device_id: int, *, manifest_device_id: int | None = None,
              accept: bool = False, note: str | None = None, expected_version: int | None = None,
              described: dict[str, str] | None = None) -> Planned:
    """Settle an unexpected unit: match it to the manifest line it really is (that line is received,
    with any media recorded on the unexpected record), or accept it as an extra device. An accepted unit
    may be `described` (manufacturer, model, category as the bench reads them off it): the asset list never
    did, and the category decides whether it carries data. What was given is in the event's evidence."""
    evidence = {"note": note} if note else None
    if accept and manifest_device_id is None:
        given = {k: v.strip() for k, v in (described or {}).items() if k in DESCRIBED and v and v.strip()}
        for key, value in given.items():
            if len(value) > DESCRIBED[key]:
                raise Invalid(f"The {key} can be at most {DESCRIBED[key]} characters long.", code="too_long")
        if given:
            evidence = {**(evidence or {}), "described": given}
        done = apply_step(session, actor, device_id, Step("accept", {}, evidence), expected_version=expected_version)
        if given:
            session.execute(sa.update(Device.__table__).where(Device.id == device_id).values(**given))
            session.expire(session.get(Device, device_id), list(given))
        return done
    held, device = hold(session, actor, device_id, expected_version=expected_version, action="match",
                        also=() if manifest_device_id is None else (manifest_device_id,))
    if accept or manifest_device_id is None:
        raise Invalid("Either name the manifest line (manifest_device_id) or accept the unit (accept=true).",
                      code="reconcile_choice", details={"state": device.facts.state, "allowed": ["match", "accept"]})
    line = session.get(Device, manifest_device_id)
    if line is None or line.batch_id != device.batch_id or line.manifest_row is None:
        raise Invalid(f"Device {manifest_device_id} is not a manifest line of batch {device.batch_id}.",
                      code="not_a_manifest_line", details={"state": device.facts.state, "needs": ["manifest_device_id"]})
    line_held = held.devices[line.id]
    now = utcnow()
    plans = [plan_or_refuse(held, device, Step("match", {"manifest_device_id": line.id},
                                               {"manifest_device_id": line.id, **(evidence or {})}), actor, now)]
    if line_held.facts.state == "registered":
        serial = session.scalar(sa.select(Device.serial).where(Device.id == device.id))
        plans.append(plan_or_refuse(held, line_held, Step("receive", {}, {"matched_from_device_id": device.id,
                                                                          "scanned": serial}), actor, now))
    write(session, plans, [device, line_held], now)
    if len(plans) > 1:
        announce_if_received_in_full(session, device.batch_id)
    # The media recorded on the unexpected unit are the line's.
    session.execute(sa.update(StorageMedium.__table__).where(StorageMedium.device_id == device.id)
                    .values(device_id=line.id))
    for instance in (session.get(Device, device.id), line):
        session.expire(instance, ["media"])
    return plans[0]
