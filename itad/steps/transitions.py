"""The one way a device's state changes: ``apply_transition``.

It locks the batch (so the custody chain and the device cannot move under us), reloads the device,
builds the plain view the machine reads (workflows.machine.DeviceFacts), lets the machine decide,
writes the new device and medium states, bumps the device version (optimistic lock: the UPDATE names
the version it read, so a concurrent writer that read an older one updates nothing -> 409 with the
current state) and appends the custody event.
Services call it; nothing else writes Device.state or StorageMedium.state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from itad.errors import Conflict, Invalid, NotFound
from itad.models import (
    Batch, CustodyEvent, Device, SanitizationRecord, StorageMedium, User, Verification, db, instances, utcnow,
)
from itad.models.instances import attached
from itad.steps import custody, policies, writes
from itad.steps.policies import effective_policy
from workflows.machine import (
    AFTER_CLOSE_ACTIONS, DeviceFacts, MediumFacts, Outcome, TransitionRefused, allowed_transitions, apply,
)
from workflows.policy import Policy


@dataclass
class Applied:
    """What apply_transition did: the machine's outcome, the custody event it appended, the record it wrote."""

    outcome: Outcome
    event: Any
    policy: Policy
    record: Any = None      # the row passed as apply_transition's record, as written


def policy_for(session: Session, device: Device) -> Policy:
    return effective_policy(session, device.organization_id, device.batch_id)


# Per transaction: {device id: its batch's status} for devices this transaction has locked, and
# {device id: (version, {medium id: (latest record, its latest verification)})} as last read.
_LOCKED = "itad.locked_devices"
_RECORDS = "itad.latest_records"


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction) -> None:
    # A savepoint rolled back releases the row locks taken inside it: forget them with it.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_LOCKED, None)
        session.info.pop(_RECORDS, None)


def latest_records(session: Session, device_ids: list[int]) -> dict[int, SanitizationRecord]:
    """{medium_id: its latest wipe record} for the media of these devices."""
    rows = session.scalars(
        sa.select(SanitizationRecord).where(SanitizationRecord.device_id.in_(device_ids))
        .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)
    ).all()
    return {r.medium_id: r for r in rows}


def latest_verifications(session: Session, record_ids: list[int]) -> dict[int, Verification]:
    """{sanitization_record_id: its latest verification}."""
    if not record_ids:
        return {}
    rows = session.scalars(
        sa.select(Verification).where(Verification.sanitization_record_id.in_(record_ids))
        .order_by(Verification.id)
    ).all()
    return {v.sanitization_record_id: v for v in rows}


def media_records(session: Session, device: Device) -> dict[int, tuple[SanitizationRecord | None, Verification | None]]:
    """{medium id: (its latest wipe record, that record's latest verification)}, and device.media loaded.

    One query for the three (the hot path of every step). Every write of a record or a verification
    follows a transition that bumps the device version, so what was read at this version still holds.
    """
    cached = session.info.get(_RECORDS, {}).get(device.id)
    if cached is not None and cached[0] == device.version and "media" in device.__dict__:
        return cached[1]
    rows = session.connection().execute(_media_records_query(), {"device_id": device.id}).all()
    return _remember_media(session, device, rows)


# What the steps read of a medium's latest record and its verification (device_facts, the next attempt
# number, the record a verification names): only these are read with the media, the rest on demand.
_RECORD_READ = ("id", "attempt", "effective_method", "technique", "result", "operator_id", "verification_required")
_CHECK_READ = ("id", "verifier_id", "result")


def _remember_media(session: Session, device: Device, rows) -> dict:
    """Keep the media and latest records of rows read with _latest_records_columns(), as read at
    the device's version. A row without a medium (a device with none, outer-joined) adds nothing."""
    medium_end = instances.width(StorageMedium)
    record_end = medium_end + instances.width(SanitizationRecord, _RECORD_READ)
    media, found = [], {}
    for row in rows:
        if row[0] is None:
            continue
        medium = instances.loaded(session, StorageMedium, row)
        record = instances.loaded(session, SanitizationRecord, row, medium_end, only=_RECORD_READ) \
            if row[medium_end] is not None else None
        check = instances.loaded(session, Verification, row, record_end, only=_CHECK_READ) \
            if row[record_end] is not None else None
        media.append(medium)
        found[medium.id] = (record, check)
    set_committed_value(device, "media", media)
    session.info.setdefault(_RECORDS, {})[device.id] = (device.version, found)
    return found


def _latest_records_columns() -> tuple:
    """A medium's columns, its latest record's, that record's latest verification's (_remember_media)."""
    return (*instances.columns(StorageMedium), *instances.columns(SanitizationRecord, _RECORD_READ),
            *instances.columns(Verification, _CHECK_READ))


def _with_latest_records(stmt: sa.Select) -> sa.Select:
    """Join each StorageMedium of stmt to its latest wipe record and that record's latest verification."""
    later = aliased(SanitizationRecord)
    newer = aliased(Verification)
    latest_attempt = sa.select(sa.func.max(later.attempt)).where(later.medium_id == StorageMedium.id) \
        .correlate(StorageMedium).scalar_subquery()
    latest_check = sa.select(sa.func.max(newer.id)).where(
        newer.medium_id == StorageMedium.id, newer.sanitization_record_id == SanitizationRecord.id) \
        .correlate(StorageMedium, SanitizationRecord).scalar_subquery()
    return (stmt.outerjoin(SanitizationRecord, sa.and_(SanitizationRecord.medium_id == StorageMedium.id,
                                                       SanitizationRecord.attempt == latest_attempt))
            .outerjoin(Verification, Verification.id == latest_check).order_by(StorageMedium.id))


@functools.cache
def _media_records_query() -> sa.Select:
    """Built once: composing the aliases and correlated subqueries costs more than running the query.
    Core, not an ORM query: the rows become instances in _remember_media (itad.models.instances)."""
    return _with_latest_records(sa.select(*_latest_records_columns())
                                .select_from(StorageMedium).where(StorageMedium.device_id == sa.bindparam("device_id")))


@functools.cache
def _batch_context_query() -> sa.Select:
    """media_records' rows from the device (an outer join: a device may have no media), each with the
    batch's policy rules and custody chain head beside it (uncorrelated subqueries: computed once)."""
    return _with_latest_records(
        sa.select(*_latest_records_columns(), *policies.rules_columns(), *custody.head_columns())
        .select_from(Device).outerjoin(StorageMedium, StorageMedium.device_id == Device.id)
        .where(Device.id == sa.bindparam("device_id")))


def device_facts(session: Session, device: Device, policy: Policy) -> DeviceFacts:
    """The plain snapshot the machine reads, built from the device, its media and their records."""
    found = media_records(session, device)
    media = []
    for m in device.media:
        rec, check = found.get(m.id, (None, None))
        media.append(MediumFacts(
            id=m.id, media_type=m.media_type, state=m.state,
            method=rec.effective_method if rec else None, technique=rec.technique if rec else None,
            result=rec.result if rec else None, sanitized_by=rec.operator_id if rec else None,
            verified_by=check.verifier_id if check and check.result == "passed" else None,
            failed_wipes=m.failed_wipes,
            verification_required=rec.verification_required if rec else True,
        ))
    grade = device.grading.grade if getattr(device, "grading", None) else None
    return DeviceFacts(state=device.state, data_bearing=policy.is_data_bearing(device.category),
                       media=tuple(media), id=device.id, grade=grade)


def allowed_now(session: Session, device: Device, actor: User, medium_id: int | None = None) -> list[str]:
    policy = policy_for(session, device)
    return allowed_transitions(device_facts(session, device, policy), policy, actor.id, medium_id)


def media_moves(session: Session, device: Device, actor: User) -> dict[int, list[str]]:
    policy = policy_for(session, device)
    facts = device_facts(session, device, policy)
    return {m.id: allowed_transitions(facts, policy, actor.id, m.id) for m in facts.media}


def refused(exc: TransitionRefused, allowed: list[str]) -> Conflict:
    """The 409 a person can act on: what state the device is in, and what must happen first."""
    return Conflict(str(exc), code="transition_refused",
                    details={"state": exc.state, "action": exc.action, "reason": exc.reason,
                             "allowed": allowed, "needs": list(exc.needs)})


def current_state_conflict(device_id: int, message: str) -> Conflict:
    """A lost race: read the winner's state on a fresh connection (our transaction is spoiled)."""
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(Device.state, Device.version).where(Device.id == device_id)).first()
    state, version = (row.state, row.version) if row else (None, None)
    return Conflict(f"{message} The device is now {state}.", code="concurrent_update",
                    details={"state": state, "version": version, "allowed": [],
                             "needs": ["reload the device and retry"]})


def lock_device(session: Session, user: User, device_id: int) -> Device:
    """The device, read and locked together with its batch in one statement; 404 if missing or foreign.

    The step views start here: it stands for the tenant check, lock_batch and the reload of
    lock_and_reload, which then finds the device already locked. Locks are taken batch first, then
    device (FOR UPDATE OF follows its list), the order of lock_and_reload and of the bulk path.
    """
    row = session.connection().execute(_lock_device_query(), {"device_id": device_id}).first()
    if row is None or not (user.is_operator or row.organization_id == user.organization_id):
        raise NotFound(f"No device with id {device_id}.")
    # As read under the lock: an instance the session held already is overwritten.
    device = instances.loaded(session, Device, row, refresh=True)
    session.info.setdefault(_LOCKED, {})[device.id] = row.status
    _read_batch_context(session, device)
    return device


@functools.cache
def _lock_device_query() -> sa.Select:
    return (sa.select(*instances.columns(Device), Batch.status).select_from(Batch)
            .join(Device, Device.batch_id == Batch.id)
            .where(Device.id == sa.bindparam("device_id")).with_for_update(of=(Batch, Device)))


def _read_batch_context(session: Session, device: Device) -> None:
    """Right after the lock, in one statement: the batch's policy, its custody chain head, and the
    device's media with their latest records (what media_records reads).

    All are read in every step; the head must be read after the batch lock (a statement that waited
    for the lock would see the head as it was before the wait), hence not in the locking statement.
    The media cannot change while the device is locked, so they are read here too."""
    if custody.head_known(session, device.batch_id):
        return
    rows = session.connection().execute(_batch_context_query(), {
        "device_id": device.id, "organization_id": device.organization_id, "batch_id": device.batch_id}).all()
    org_rules, batch_rules, seq, digest = rows[0][-4:]
    policies.remember(session, device.organization_id, device.batch_id, org_rules, batch_rules)
    custody.remember_head(session, device.batch_id, seq, digest)
    _remember_media(session, device, rows)


def lock_and_reload(session: Session, device: Device, *, after_close: bool = False) -> None:
    """Lock the device's batch, then reread the device so guards judge the committed state.

    A device already locked in this transaction (lock_device) is not read again: nobody can have
    changed it since. after_close: the action goes on after the batch closed (resale stock: AFTER_CLOSE_ACTIONS)."""
    locked = session.info.setdefault(_LOCKED, {})
    status = locked.get(device.id)
    if status is None:
        status = custody.lock_batch(session, device.batch_id)
    if status != "open" and not after_close:
        raise Conflict(f"Batch {device.batch_id} is {status}; its devices can no longer change.",
                       code="batch_closed", details={"state": device.state, "batch_status": status,
                                                     "allowed": [], "needs": []})
    if device.id in locked:
        return
    expected = device.version
    # Every medium change bumps the device version, so an unchanged version vouches for the media too.
    session.refresh(device, with_for_update=True)
    locked[device.id] = status
    _read_batch_context(session, device)
    if device.version != expected:
        raise Conflict(f"Someone changed device {device.id} while you were working; it is now {device.state}.",
                       code="concurrent_update",
                       details={"state": device.state, "version": device.version, "allowed": [],
                                "needs": ["reload the device and retry"]})


def check_version(device: Device, expected_version: int | None) -> None:
    """The client says which version it saw (optional): a mismatch is a 409, never a lost update."""
    if expected_version is not None and expected_version != device.version:
        raise Conflict(f"Device {device.id} is at version {device.version}, not {expected_version}; "
                       f"it is {device.state} now.", code="concurrent_update",
                       details={"state": device.state, "version": device.version, "allowed": [],
                                "needs": ["reload the device and retry"]})


def apply_transition(session: Session, device: Device, action: str, actor: User, *,
                     evidence: dict | None = None, expected_version: int | None = None,
                     locked: bool = False, record: Callable[[Outcome], tuple[type, dict]] | None = None,
                     **facts: Any) -> Applied:
    """Apply `action` to `device` as `actor`, or raise Conflict (409) saying what must come first.

    facts go to workflows.machine.apply (medium_id, method, technique, passed, grade, ...).
    expected_version: the version the client saw (optional): a mismatch is a 409, not a lost update.
    record: the step's own row beside its event (a wipe record), as (model, values) made from the
    machine's outcome; written with the state change (Applied.record).
    """
    check_version(device, expected_version)
    if not locked:
        lock_and_reload(session, device, after_close=action in AFTER_CLOSE_ACTIONS)
    policy = policy_for(session, device)
    view = device_facts(session, device, policy)
    try:
        outcome = apply(view, action, actor.id, policy, evidence=evidence, **facts)
    except TransitionRefused as exc:
        raise refused(exc, allowed_transitions(view, policy, actor.id)) from None
    event, kept = _write(session, device, action, actor, outcome, record(outcome) if record else None)
    return Applied(outcome, event, policy, kept)


def _write(session: Session, device: Device, action: str, actor: User, outcome: Outcome,
           record: tuple[type, dict] | None) -> tuple[CustodyEvent, Any]:
    """The new device and medium states, the custody event and the record, in as few statements as the
    database allows (writes.step), and the ORM instances told so.

    Core statements, not a unit-of-work flush (most of a step's CPU for a few small rows). The device
    UPDATE is the version check the mapper's version_id_col made: always an UPDATE, so the version
    moves even when the state does not, and a version someone else moved is a 409 with their state."""
    if session.dirty or session.new or session.deleted:
        flush(session, device.id)   # what the service changed before the step is written first
    now = utcnow()
    event = custody.build_event(custody.chain_head(session, device.batch_id), device_id=device.id, actor=actor,
                                action=action, from_state=outcome.from_state, to_state=outcome.to_state,
                                evidence=_jsonable(outcome.evidence))
    with custody.refusing_races(session):
        written = writes.step(session, device_id=device.id, old_version=device.version, new_state=outcome.to_state,
                              now=now, media=[(m.id, m.state, m.failed_wipes) for m in outcome.changed_media],
                              event=event, record=record)
    if written is None:
        session.rollback()
        raise current_state_conflict(device.id, "Another technician changed this device first.")
    for name, value in (("state", outcome.to_state), ("version", device.version + 1), ("updated_at", now)):
        set_committed_value(device, name, value)
    by_id = {m.id: m for m in device.media}
    for after in outcome.changed_media:
        set_committed_value(by_id[after.id], "state", after.state)
        set_committed_value(by_id[after.id], "failed_wipes", after.failed_wipes)
    event_id, record_id = written
    return (attached(session, CustodyEvent, {"id": event_id, **event}),
            attached(session, record[0], {"id": record_id, **record[1]}) if record else None)


def flush(session: Session, device_id: int | None = None) -> None:
    """Flush, turning a lost race into a 409 with the current state."""
    try:
        with custody.refusing_races(session):
            session.flush()
    except StaleDataError:
        session.rollback()
        raise current_state_conflict(device_id, "Another technician changed this device first.") from None
    except sa.exc.IntegrityError:
        session.rollback()
        raise


def _jsonable(value: Any) -> Any:
    """Evidence goes into a JSON column and into the hash: only JSON types, the same after a round trip."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, float, str, bool)):
        return value.value
    if isinstance(value, float):
        return repr(value)
    return value


def medium_of(device: Device, medium_id: int | None) -> StorageMedium | None:
    if medium_id is None:
        return device.media[0] if len(device.media) == 1 else None
    for m in device.media:
        if m.id == medium_id:
            return m
    raise Invalid(f"Medium {medium_id} is not in device {device.id}.", code="unknown_medium",
                  details={"state": device.state, "media": [m.id for m in device.media], "needs": ["medium_id"]})
