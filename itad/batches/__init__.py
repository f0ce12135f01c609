"""Batches and their devices as clients and the operator read them, always through the tenant rule:
the reading service (here), its API routes (routes.py) and the client portal's pages (portal_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.pagination import Window, window
from itad.auth.access import get_visible, scope
from itad.models import (
    Batch, Certificate, CustodyEvent, Destruction, Device, DeviceGrading, InventoryItem, Sale, SaleReturn,
    SanitizationRecord, StorageMedium, User, Verification,
)


def list_batches(session: Session, user: User, *, status: str | None, limit: int, cursor: int | None,
                 before: int | None = None, look_back: bool = False) -> Window:
    stmt = scope(sa.select(Batch), Batch, user)
    if status:
        stmt = stmt.where(Batch.status == status)
    return window(session, stmt, Batch.id, limit, after=cursor, before=before, look_back=look_back)


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
    before: int | None = None,
    look_back: bool = False,
) -> Window:
    """A page of the batch's devices in id order: after `cursor`, or before `before` (paging back)."""
    batch = get_batch(session, user, batch_id)
    stmt = sa.select(Device).where(Device.batch_id == batch.id)
    if state:
        stmt = stmt.where(Device.state == state)
    if category:
        stmt = stmt.where(sa.func.lower(Device.category) == category.lower())
    if serial_prefix:
        stmt = stmt.where(_prefix(Device.serial, serial_prefix))
    return window(session, stmt, Device.id, limit, after=cursor, before=before, look_back=look_back)


def _prefix(column, prefix: str):
    # Serials are stored as given; prefix search is case-insensitive like a scanner user expects.
    escaped = prefix.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.upper(column).like(escaped + "%", escape="\\")


@dataclass
class Tally:
    """How many units a batch holds, counted as its certificate counts them: every record except those
    matched to their asset-list line (the same unit, counted once under its line)."""
    listed: int       # asset-list lines
    found: int        # records made at receiving (not on the list)
    matched: int      # of those, matched to their line afterwards

    @property
    def units(self) -> int:
        return self.listed + self.found - self.matched

    @property
    def records(self) -> int:
        return self.listed + self.found


def tally(session: Session, batch: Batch) -> Tally:
    found, matched = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Device.state == "matched"))
        .where(Device.batch_id == batch.id, Device.manifest_row.is_(None))).one()
    return Tally(batch.device_count, found, matched)


def get_device(session: Session, user: User, device_id: int) -> Device:
    return get_visible(session, Device, device_id, user, "device")


def custody_timeline(session: Session, user: User, batch_id: int, *, limit: int = 200,
                     device_id: int | None = None, action: str | None = None, serial: str | None = None,
                     after: int | None = None, before: int | None = None) -> Window:
    """A page of the batch's custody events (or one device's), newest first, filtered by action and by the
    serial its device starts with."""
    batch = get_batch(session, user, batch_id)
    stmt = sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id)
    if device_id is not None:
        stmt = stmt.where(CustodyEvent.device_id == device_id)
    if action:
        stmt = stmt.where(CustodyEvent.action == action)
    if serial:
        stmt = stmt.where(CustodyEvent.device_id.in_(
            sa.select(Device.id).where(Device.batch_id == batch.id, _prefix(Device.serial, serial))))
    return window(session, stmt, CustodyEvent.id, limit, after=after, before=before, newest_first=True)


def custody_actions(session: Session, batch: Batch) -> list[str]:
    """The actions the batch's chain holds (for the timeline's filter)."""
    return list(session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.batch_id == batch.id)
                                .distinct().order_by(CustodyEvent.action)))


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
                     after: int | None = None, before: int | None = None) -> Window:
    """Devices of open batches waiting in ``state`` (a bench queue), oldest first."""
    stmt = scope(sa.select(Device), Device, user).join(Batch, Batch.id == Device.batch_id).where(
        Batch.status == "open", Device.state == state)
    return window(session, stmt, Device.id, limit, after=after, before=before)


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
    gradings: list[DeviceGrading]           # in order: a returned unit is graded again
    destruction: Destruction | None

    @property
    def grading(self) -> DeviceGrading | None:
        """The grading that holds now (the latest)."""
        return self.gradings[-1] if self.gradings else None


def device_history(session: Session, device: Device) -> DeviceHistory:
    """What the bench recorded about a device (read after the tenant check that gave the device)."""
    return DeviceHistory(
        session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device.id)
                        .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)).all(),
        session.scalars(sa.select(Verification).where(Verification.device_id == device.id)
                        .order_by(Verification.id)).all(),
        session.scalars(sa.select(DeviceGrading).where(DeviceGrading.device_id == device.id)
                        .order_by(DeviceGrading.id)).all(),
        session.scalar(sa.select(Destruction).where(Destruction.device_id == device.id)))


@dataclass
class DeviceRecord:
    """Everything a client may read about one device: its bench history, its resale and its certificates."""
    device: Device
    history: DeviceHistory
    item: InventoryItem | None
    sale: Sale | None                   # the latest (a unit returned and sold again has two)
    certificates: list[Certificate]     # the device's own and its batch's, newest first
    returns: list[SaleReturn] = field(default_factory=list)     # back from buyers under warranty, in order


def device_record(session: Session, user: User, device_id: int) -> DeviceRecord:
    device = get_device(session, user, device_id)
    item = session.scalar(sa.select(InventoryItem).where(InventoryItem.device_id == device.id)
                          .order_by(InventoryItem.id.desc()).limit(1))
    sale = session.scalar(sa.select(Sale).where(Sale.device_id == device.id).order_by(Sale.id.desc()).limit(1))
    certificates = list(session.scalars(
        sa.select(Certificate).where(Certificate.batch_id == device.batch_id, sa.or_(
            Certificate.device_id == device.id, Certificate.kind == "batch")).order_by(Certificate.id.desc())))
    returned = list(session.scalars(sa.select(SaleReturn).where(SaleReturn.device_id == device.id)
                                    .order_by(SaleReturn.id)))
    return DeviceRecord(device, device_history(session, device), item, sale, certificates, returned)


def search_devices(session: Session, user: User, code: str, *, limit: int = 50, after: int | None = None,
                   before: int | None = None) -> Window:
    """Devices of any of the user's batches whose serial or asset tag starts with `code` (case-insensitive)."""
    key = code.strip()
    stmt = scope(sa.select(Device), Device, user).where(
        sa.or_(_prefix(Device.serial, key), _prefix(Device.asset_tag, key)))
    return window(session, stmt, Device.id, limit, after=after, before=before, newest_first=True)


def drive_names(session: Session, events) -> dict[int, str]:
    """{medium id: its serial (or '#id')} for the drives custody events name (ids come from scoped rows)."""
    ids = {(e.evidence or {}).get("medium_id") for e in events} - {None}
    if not ids:
        return {}
    rows = session.execute(sa.select(StorageMedium.id, StorageMedium.serial).where(StorageMedium.id.in_(ids)))
    return {i: serial or f"#{i}" for i, serial in rows}
