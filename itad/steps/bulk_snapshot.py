"""What a bulk of wipe results acts on, found, locked and read set-wise before any result is applied.

1. find_media / find_devices: the open-batch media and devices the items name (by id, by serial).
2. lock_and_read: their batches locked (FOR UPDATE, in id order) and their status read again under
   the lock; then their devices locked, in id order, in the statement that reads them with every
   medium and each medium's latest wipe record. Batch first, then device: the order of the single
   path (transitions.lock_device), so the two never deadlock. Then per batch: the policy, the custody
   chain head and whether a wipe is already picked for verification.

Nothing here changes a row; bulk.py applies the results to the Snapshot in memory and writes them.
The rows are kept as read; a device's view for the machine (Unit) is built when an item first names it
(Snapshot.unit), in the loop that applies the results while the server writes earlier ones, rather
than for every device before the first result can be applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from itad.models import Batch, Device, SanitizationRecord, StorageMedium
from itad.steps import custody
from itad.steps.policies import effective_policy
from itad.models.rowsets import on_postgres
from itad.steps.verifying import batch_pick_stands
from workflows.machine import DeviceFacts, MediumFacts
from workflows.policy import Policy


@dataclass
class Unit:
    """A locked device and its media, as the machine sees them while the results are applied."""

    id: int
    batch_id: int
    version: int
    facts: DeviceFacts


class MediumRow(NamedTuple):
    id: int
    device_id: int
    batch_id: int
    serial: str | None


@dataclass
class NewMedium:
    """A drive named by serial in a device whose media do not include it; id set once it is inserted."""

    id: int | None
    device_id: int
    serial: str
    media_type: str


@dataclass
class Snapshot:
    by_id: dict[int, MediumRow]                 # the media the items name, in open batches
    media: dict[int, list[MediumRow]] = field(default_factory=dict)    # device id -> all its media
    attempts: dict[int, int] = field(default_factory=dict)             # medium id -> its latest attempt
    policies: dict[int, Policy] = field(default_factory=dict)          # by batch id
    heads: dict[int, custody.ChainHead] = field(default_factory=dict)
    sampled: dict[int, bool] = field(default_factory=dict)   # batch id -> a wipe of it is picked already
    # device id -> its row and its media's rows as read (_locked_devices), until unit() builds its Unit
    rows: dict[int, tuple] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)

    def unit(self, device_id: int | None) -> Unit | None:
        """The locked device's Unit (None if it is not among them), built on first use."""
        unit = self.units.get(device_id)
        if unit is None and device_id in self.rows:
            unit = self.units[device_id] = self._build(device_id, *self.rows.pop(device_id))
        return unit

    def _build(self, did: int, bid: int, category: str | None, state: str, version: int, media: list) -> Unit:
        facts: list[MediumFacts] = []
        rows = self.media[did] = []
        for mid, media_type, m_state, failed, serial, attempt, required, operator, method in media:
            facts.append(MediumFacts(id=mid, media_type=media_type, state=m_state, method=method,
                                     sanitized_by=operator, failed_wipes=failed,
                                     verification_required=required if attempt is not None else True))
            rows.append(MediumRow(mid, did, bid, serial))
            if attempt is not None:
                self.attempts[mid] = attempt
        return Unit(did, bid, version, DeviceFacts(state, self.policies[bid].is_data_bearing(category),
                                                   tuple(facts), did))


def _chunks(values: list, size: int):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _among(session: Session, column, values: list, item_type=sa.Integer):
    """column IN values: one array parameter on PostgreSQL (10,000 bound parameters cost more than the query).

    Integers go as the array's text ('{1,2,3}'): psycopg adapts a list element by element in Python,
    a quarter of a second for 10,000 ids. Unnested in a subquery, the cast
    runs once, not once per row."""
    if not on_postgres(session):
        return column.in_(values)
    if item_type is sa.Integer:
        literal = "{" + ",".join(str(int(v)) for v in values) + "}"
        return column.in_(sa.select(sa.func.unnest(sa.cast(sa.bindparam(None, literal, type_=sa.Text),
                                                           ARRAY(sa.Integer)))))
    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(item_type)))


def _chunk_size(session: Session) -> int:
    return 50_000 if on_postgres(session) else 5000   # SQLite: keep under its bound-parameter limit


def find_media(session: Session, items: list[dict], batch_id: int | None) -> dict[int, MediumRow]:
    """{medium id: row} of every open-batch medium an item names by id, or by serial without its device."""
    ids = sorted({it["medium_id"] for it in items if it.get("medium_id") is not None})
    # An item that names its device is matched among that device's media (bulk._resolve_in_device).
    serials = sorted({it["medium_serial"].strip().upper() for it in items
                      if it.get("medium_id") is None and it.get("medium_serial") and it.get("device_id") is None})
    base = sa.select(StorageMedium.id, StorageMedium.device_id, Device.batch_id, StorageMedium.serial) \
        .join(Device, Device.id == StorageMedium.device_id) \
        .join(Batch, Batch.id == Device.batch_id).where(Batch.status == "open")
    if batch_id is not None:
        base = base.where(Device.batch_id == batch_id)
    # Core, not the ORM: these are plain columns, and the ORM's per-row loading costs more than the query.
    connection = session.connection()
    rows = []
    for chunk in _chunks(ids, _chunk_size(session)):
        rows += connection.execute(base.where(_among(session, StorageMedium.id, chunk))).all()
    for chunk in _chunks(serials, 5000):
        rows += connection.execute(base.where(_among(session, sa.func.upper(StorageMedium.serial), chunk,
                                                     sa.String))).all()
    return {r[0]: MediumRow(*r) for r in rows}


def find_devices(session: Session, items: list[dict], batch_id: int | None) -> dict[int, int]:
    """{device id: batch id} of the open-batch devices items name by device_id (drives found at the bench)."""
    ids = sorted({it["device_id"] for it in items if it.get("device_id") is not None})
    if not ids:
        return {}
    stmt = sa.select(Device.id, Device.batch_id).join(Batch, Batch.id == Device.batch_id) \
        .where(Batch.status == "open", _among(session, Device.id, ids))
    if batch_id is not None:
        stmt = stmt.where(Device.batch_id == batch_id)
    return dict(session.execute(stmt).all())


def lock_and_read(session: Session, found: dict[int, MediumRow], named: dict[int, int]) -> Snapshot:
    batch_ids = sorted({r.batch_id for r in found.values()} | set(named.values()))
    organizations: dict[int, int] = {}
    for chunk in _chunks(batch_ids, 5000):
        for bid, org, status in session.execute(
                sa.select(Batch.id, Batch.organization_id, Batch.status).where(Batch.id.in_(chunk))
                .order_by(Batch.id).with_for_update()):
            if status == "open":    # a batch closed since find_media: its items are rejected as not open
                organizations[bid] = org
    found = {k: r for k, r in found.items() if r.batch_id in organizations}
    named = {k: b for k, b in named.items() if b in organizations}
    snap = Snapshot(by_id=found)

    device_ids = sorted({r.device_id for r in found.values()} | set(named))
    rows = snap.rows
    for chunk in _chunks(device_ids, _chunk_size(session)):
        # Core, as in find_media; all() fetches the rows at once (iterating fetches them one by one).
        for row in session.connection().execute(_locked_devices(session, chunk)).all():
            known = rows.get(row[0])
            if known is None:
                known = rows[row[0]] = (row[1], row[2], row[3], row[4], [])
            if row[5] is not None:
                known[4].append(row[5:])

    for bid in {r[0] for r in rows.values()}:
        snap.policies[bid] = effective_policy(session, organizations[bid], bid)
        snap.heads[bid] = custody.chain_head(session, bid)
        snap.sampled[bid] = batch_pick_stands(session, bid)
    return snap


def _locked_devices(session: Session, device_ids: list[int]) -> sa.Select:
    """The devices, locked, each with its media and each medium's latest wipe record (one row per medium)."""
    later = aliased(SanitizationRecord)
    latest = sa.select(sa.func.max(later.attempt)).where(later.medium_id == StorageMedium.id) \
        .correlate(StorageMedium).scalar_subquery()
    return (sa.select(Device.id, Device.batch_id, Device.category, Device.state, Device.version,
                      StorageMedium.id.label("m_id"), StorageMedium.media_type, StorageMedium.state.label("m_state"),
                      StorageMedium.failed_wipes, StorageMedium.serial, SanitizationRecord.attempt,
                      SanitizationRecord.verification_required, SanitizationRecord.operator_id,
                      SanitizationRecord.effective_method)
            .select_from(Device)
            .outerjoin(StorageMedium, StorageMedium.device_id == Device.id)
            .outerjoin(SanitizationRecord, sa.and_(SanitizationRecord.medium_id == StorageMedium.id,
                                                   SanitizationRecord.attempt == latest))
            .where(_among(session, Device.id, device_ids))
            .order_by(Device.id, StorageMedium.id).with_for_update(of=Device))
