"""What steps act on, locked and read before any is planned: the one locking sequence of every entry point.

`lock(session, device_ids)`, for one step at the bench, a bulk of wipe results or a closing batch:

1. the devices' batches, locked (FOR UPDATE) in id order, with their status as it is under the lock;
2. the devices, locked in id order, in the statement that reads them with every medium, each medium's
   latest wipe record, that record's latest verification, and the device's grade;
3. per batch, in one statement: the client's policy, the custody chain head, and whether a wipe of
   the batch is already picked for verification. Read after the batch lock: a statement that waited
   for the lock would have seen the head as it was before the wait.

Batch first, then device, each in id order, whoever asks: two requests never deadlock. The result
(`Held`) is the request's own state, passed explicitly: the planner advances it in memory as it plans
(states, chain heads, the batch's verification pick), the writer writes what was planned. `read` is
the same without the locks, for pages that show what is allowed now.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from itad.errors import Conflict, Invalid, NotFound
from itad.models import Batch, Device, DeviceGrading, SanitizationRecord, StorageMedium, User, Verification
from itad.models.rowsets import on_postgres
from itad.steps import custody, policies
from workflows.machine import DeviceFacts, MediumFacts
from workflows.mobile import open_locks
from workflows.policy import Policy


@dataclass
class HeldBatch:
    id: int
    organization_id: int
    status: str
    policy: Policy
    head: custody.ChainHead     # advanced in place by each event planned
    picked: bool                # a wipe of the batch is picked for verification and still stands


@dataclass
class HeldMedium:
    """What a step reads of a medium beyond the machine's facts (its type is among those)."""

    serial: str | None
    attempt: int                # its latest wipe's attempt number, 0 before the first
    record_id: int | None       # that wipe record's id (a verification names it)
    manufacturer: str | None = None
    model: str | None = None
    capacity_bytes: int | None = None
    review_reason: str | None = None


@dataclass
class HeldDevice:
    id: int
    batch_id: int
    organization_id: int
    version: int                # as read under the lock: the write checks it
    facts: DeviceFacts          # as the machine sees the device now (after the steps planned so far)
    media: dict[int, HeldMedium]
    steps: int = 0              # steps planned in this request: written once, at version + steps
    changed_media: dict[int, MediumFacts] = field(default_factory=dict)
    described: set[int] = field(default_factory=set)     # media whose facts (type, make, ...) changed

    @property
    def new_version(self) -> int:
        return self.version + self.steps

    def require_medium(self, medium_id: int) -> None:
        """422 unless the medium is one of this device's."""
        if medium_id not in self.media:
            raise Invalid(f"Medium {medium_id} is not in device {self.id}.", code="unknown_medium",
                          details={"state": self.facts.state, "media": list(self.media), "needs": ["medium_id"]})


@dataclass
class Held:
    batches: dict[int, HeldBatch] = field(default_factory=dict)
    devices: dict[int, HeldDevice] = field(default_factory=dict)

    def device(self, device_id: int, user: User | None = None) -> HeldDevice:
        """The held device; 404 if it is not held or (for a client's user) belongs to another client."""
        device = self.devices.get(device_id)
        if device is None or (user is not None and not user.is_operator
                              and device.organization_id != user.organization_id):
            raise NotFound(f"No device with id {device_id}.")
        return device

    def batch_of(self, device: HeldDevice) -> HeldBatch:
        return self.batches[device.batch_id]

    def require_open(self, device: HeldDevice) -> None:
        """409 unless the device's batch is open (its devices can change)."""
        status = self.batches[device.batch_id].status
        if status != "open":
            raise Conflict(f"Batch {device.batch_id} is {status}; its devices can no longer change.",
                           code="batch_closed", details={"state": device.facts.state, "batch_status": status,
                                                         "allowed": [], "needs": []})


def check_version(device: HeldDevice, expected_version: int | None) -> None:
    """The client says which version it saw (optional): a mismatch is a 409, never a lost update."""
    if expected_version is not None and expected_version != device.version:
        raise Conflict(f"Someone else recorded a step on this device after you opened it; it is "
                       f"{device.facts.state} now. Look at it again, then retry.", code="concurrent_update",
                       details={"state": device.facts.state, "version": device.version, "allowed": [],
                                "needs": ["reload the device and retry"]})


def lock(session: Session, device_ids, *, locking: bool = True) -> Held:
    """Lock and read the devices (and their batches), as the module docstring says. Ids not found are
    left out: the caller answers for them (404, or a rejected item)."""
    ids = sorted(set(device_ids))
    held = Held()
    if not ids:
        return held
    session.flush()         # what the request changed before is read (Core statements do not autoflush)
    connection = session.connection()
    locked: dict[int, tuple[int, str]] = {}         # batch id -> (organization id, status)
    for chunk in _chunks(ids, _chunk_size(session)):
        stmt = (sa.select(Batch.id, Batch.organization_id, Batch.status)
                .where(Batch.id.in_(sa.select(Device.batch_id).where(among(session, Device.id, chunk))))
                .order_by(Batch.id))
        for bid, org, status in connection.execute(stmt.with_for_update() if locking else stmt).all():
            locked[bid] = (org, status)
    # One batch (a step at the bench, most bulks): its context rides in the devices' statement.
    (only,) = locked if len(locked) == 1 else (None,)
    context = {"organization_id": locked[only][0], "batch_id": only} if only is not None else {}
    rows: dict[int, list] = {}
    for chunk in _chunks(ids, _chunk_size(session)):
        stmt = _devices_select(only is not None).where(among(session, Device.id, chunk))
        for row in connection.execute(stmt.with_for_update(of=Device) if locking else stmt, context).all():
            rows.setdefault(row[0], []).append(row)
    for bid, (org, status) in locked.items():
        if bid == only and rows:
            found = next(iter(rows.values()))[0][-5:]
        else:
            found = connection.execute(_batch_query(), {"organization_id": org, "batch_id": bid}).one()
        org_rules, batch_rules, seq, digest, picked = found
        held.batches[bid] = HeldBatch(bid, org, status, policies.merged(org_rules, batch_rules),
                                      custody.head_of(bid, seq, digest), bool(picked))
    for did, device_rows in rows.items():
        held.devices[did] = _held_device(held.batches[device_rows[0][1]], device_rows)
    return held


def read(session: Session, device_ids) -> Held:
    """What lock reads, without the locks: for showing what is allowed now, never for a step."""
    return lock(session, device_ids, locking=False)


def _held_device(batch: HeldBatch, rows: list) -> HeldDevice:
    did, bid, org, category, state, version, grade, locks = rows[0][:8]
    facts, media = [], {}
    for (mid, media_type, m_state, failed, serial, manufacturer, model, capacity, review, rid, attempt, method,
         technique, result, operator, required, verifier, checked) in (row[8:26] for row in rows):
        if mid is None:
            continue        # a device with no media (outer-joined)
        facts.append(MediumFacts(
            id=mid, media_type=media_type, state=m_state, method=method, technique=technique, result=result,
            sanitized_by=operator, verified_by=verifier if checked == "passed" else None, failed_wipes=failed,
            verification_required=required if rid is not None else True))
        media[mid] = HeldMedium(serial, attempt or 0, rid, manufacturer, model, capacity, review)
    return HeldDevice(did, bid, org, version, DeviceFacts(state, batch.policy.is_data_bearing(category),
                                                          tuple(facts), did, grade=grade,
                                                          open_locks=open_locks(category, locks)), media)


@functools.cache
def _devices_select(with_context: bool) -> sa.Select:
    """One row per medium (one with NULLs for a device without media), ordered by device and medium;
    with_context: each row ends with the batch context of _batch_query (uncorrelated: computed once).
    Built once: composing the aliases and correlated subqueries costs more than running the query."""
    later = aliased(SanitizationRecord)
    newer = aliased(Verification)
    latest_attempt = sa.select(sa.func.max(later.attempt)).where(later.medium_id == StorageMedium.id) \
        .correlate(StorageMedium).scalar_subquery()
    latest_check = sa.select(sa.func.max(newer.id)).where(
        newer.medium_id == StorageMedium.id, newer.sanitization_record_id == SanitizationRecord.id) \
        .correlate(StorageMedium, SanitizationRecord).scalar_subquery()
    grade = sa.select(DeviceGrading.grade).where(DeviceGrading.device_id == Device.id) \
        .order_by(DeviceGrading.id.desc()).limit(1).correlate(Device).scalar_subquery()
    return (sa.select(Device.id, Device.batch_id, Device.organization_id, Device.category, Device.state,
                      Device.version, grade, Device.locks,
                      StorageMedium.id, StorageMedium.media_type, StorageMedium.state, StorageMedium.failed_wipes,
                      StorageMedium.serial, StorageMedium.manufacturer, StorageMedium.model,
                      StorageMedium.capacity_bytes, StorageMedium.review_reason,
                      SanitizationRecord.id, SanitizationRecord.attempt, SanitizationRecord.effective_method,
                      SanitizationRecord.technique, SanitizationRecord.result, SanitizationRecord.operator_id,
                      SanitizationRecord.verification_required, Verification.verifier_id, Verification.result,
                      *(_context_columns() if with_context else ()))
            .select_from(Device)
            .outerjoin(StorageMedium, StorageMedium.device_id == Device.id)
            .outerjoin(SanitizationRecord, sa.and_(SanitizationRecord.medium_id == StorageMedium.id,
                                                   SanitizationRecord.attempt == latest_attempt))
            .outerjoin(Verification, Verification.id == latest_check)
            .order_by(Device.id, StorageMedium.id))


@functools.cache
def _batch_query() -> sa.Select:
    return sa.select(*_context_columns())


def _context_columns() -> tuple:
    """(organization rules, batch rules, head seq, head hash, picked), bound by :organization_id and :batch_id."""
    return (*policies.rules_columns(), *custody.head_columns(), _picked().label("picked"))


def _picked() -> sa.Exists:
    """workflows.sampling's rule 3 as the database holds it: a wipe of the batch is picked for
    verification and can still be (or was) verified. A failed wipe, one whose verification failed, or
    one destroyed unverified leaves nothing to verify, so the next good wipe is picked instead."""
    checked = sa.select(Verification.id).where(Verification.sanitization_record_id == SanitizationRecord.id)
    return sa.exists(
        sa.select(SanitizationRecord.id).join(StorageMedium, StorageMedium.id == SanitizationRecord.medium_id)
        .where(SanitizationRecord.batch_id == sa.bindparam("batch_id"),
               SanitizationRecord.verification_required.is_(True), SanitizationRecord.result == "erased",
               ~sa.exists(checked.where(Verification.result != "passed")),
               sa.or_(StorageMedium.state != "destroyed", sa.exists(checked))))


def _chunks(values: list, size: int):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _chunk_size(session: Session) -> int:
    return 50_000 if on_postgres(session) else 5000   # SQLite: keep under its bound-parameter limit


def among(session: Session, column, values: list, item_type=sa.Integer):
    """column IN values: one array parameter on PostgreSQL (10,000 bound parameters cost more than the query).

    Integers go as the array's text ('{1,2,3}'): psycopg adapts a list element by element in Python,
    a quarter of a second for 10,000 ids. Unnested in a subquery, the cast runs once, not once per row."""
    if not on_postgres(session):
        return column.in_(values)
    if len(values) == 1:
        return column == values[0]
    if item_type is sa.Integer:
        literal = "{" + ",".join(str(int(v)) for v in values) + "}"
        return column.in_(sa.select(sa.func.unnest(sa.cast(sa.bindparam(None, literal, type_=sa.Text),
                                                           ARRAY(sa.Integer)))))
    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(item_type)))


def chunks(values: list, session: Session):
    """values in chunks that `among` takes in one statement."""
    return _chunks(values, _chunk_size(session))
