"""Batches and their devices as clients and the operator read them, always through the tenant rule:
the reading service (here), its API routes (routes.py) and the client portal's pages (portal_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.pagination import page
from itad.auth.access import get_visible, scope
from itad.models import (
    Batch, CustodyEvent, Destruction, Device, DeviceGrading, SanitizationRecord, User, Verification,
)


def list_batches(session: Session, user: User, *, status: str | None, limit: int, cursor: int | None):
    stmt = scope(sa.select(Batch), Batch, user)
    if status:
        stmt = stmt.where(Batch.status == status)
    return page(session, stmt, Batch.id, limit, cursor)


def get_batch(session: Session, user: User, batch_id: int) -> Batch:
    return get_visible(session, Batch, batch_id, user, "batch")


def state_counts(session: Session, batch_ids: list[int]) -> dict[int, dict[str, int]]:
    """{batch_id: {state: count}} for several batches in one query."""
    counts: dict[int, dict[str, int]] = {bid: {} for bid in batch_ids}
    if not batch_ids:
        return counts
    rows = session.execute(
        sa.select(Device.batch_id, Device.state, sa.func.count())
        .where(Device.batch_id.in_(batch_ids))
        .group_by(Device.batch_id, Device.state)
    )
    for batch_id, state, n in rows:
        counts[batch_id][state] = n
    return counts


def list_devices(
    session: Session,
    user: User,
    batch_id: int,
    *,
    state: str | None = None,
    category: str | None = None,
    serial_prefix: str | None = None,
    limit: int = 100,
    cursor: int | None = None,
):
    batch = get_batch(session, user, batch_id)
    stmt = sa.select(Device).where(Device.batch_id == batch.id)
    if state:
        stmt = stmt.where(Device.state == state)
    if category:
        stmt = stmt.where(sa.func.lower(Device.category) == category.lower())
    if serial_prefix:
        # Serials are stored as given; prefix search is case-insensitive like a scanner user expects.
        escaped = serial_prefix.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.func.upper(Device.serial).like(escaped + "%", escape="\\"))
    return page(session, stmt, Device.id, limit, cursor)


def get_device(session: Session, user: User, device_id: int) -> Device:
    return get_visible(session, Device, device_id, user, "device")


def custody_timeline(session: Session, user: User, batch_id: int, *, limit: int = 200,
                     device_id: int | None = None) -> list[CustodyEvent]:
    """The batch's custody events (or one device's), newest first."""
    batch = get_batch(session, user, batch_id)
    stmt = sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id)
    if device_id is not None:
        stmt = stmt.where(CustodyEvent.device_id == device_id)
    return list(session.scalars(stmt.order_by(CustodyEvent.seq.desc()).limit(limit)))


def serials_of(session: Session, device_ids) -> dict[int, str]:
    """{device id: serial} for naming devices in a timeline (ids come from rows already scoped)."""
    ids = {i for i in device_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(sa.select(Device.id, Device.serial).where(Device.id.in_(ids))).all())


def find_by_serial(session: Session, user: User, code: str, *, limit: int = 20) -> list[Device]:
    """Devices whose serial or asset tag is exactly ``code`` (case-insensitive), open batches first:
    what a scanner at the bench is looking for."""
    key = code.strip().upper()
    if not key:
        return []
    stmt = scope(sa.select(Device), Device, user).join(Batch, Batch.id == Device.batch_id).where(
        sa.or_(sa.func.upper(Device.serial) == key, sa.func.upper(Device.asset_tag) == key))
    stmt = stmt.order_by((Batch.status != "open"), Device.manifest_row.is_(None), Device.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def devices_in_state(session: Session, user: User, state: str, *, limit: int = 100,
                     cursor: int | None = None):
    """Devices of open batches waiting in ``state`` (a bench queue), oldest first."""
    stmt = scope(sa.select(Device), Device, user).join(Batch, Batch.id == Device.batch_id).where(
        Batch.status == "open", Device.state == state)
    return page(session, stmt, Device.id, limit, cursor)


def queue_counts(session: Session, user: User, states) -> dict[str, int]:
    """{state: devices of open batches in it}, one query."""
    stmt = scope(sa.select(Device.state, sa.func.count()), Device, user).join(
        Batch, Batch.id == Device.batch_id).where(Batch.status == "open", Device.state.in_(list(states)))
    found = dict(session.execute(stmt.group_by(Device.state)).all())
    return {s: found.get(s, 0) for s in states}


@dataclass
class DeviceHistory:
    records: list[SanitizationRecord]       # every wipe, by medium and attempt
    checks: list[Verification]              # every verification, in order
    grading: DeviceGrading | None
    destruction: Destruction | None


def device_history(session: Session, device: Device) -> DeviceHistory:
    """What the bench recorded about a device (read after the tenant check that gave the device)."""
    return DeviceHistory(
        session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device.id)
                        .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)).all(),
        session.scalars(sa.select(Verification).where(Verification.device_id == device.id)
                        .order_by(Verification.id)).all(),
        session.scalar(sa.select(DeviceGrading).where(DeviceGrading.device_id == device.id)),
        session.scalar(sa.select(Destruction).where(Destruction.device_id == device.id)))
