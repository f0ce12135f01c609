"""The custody log in the database: appending events to a batch's hash chain, reading and verifying it.

Appending is safe under concurrency: the batch row is locked (SELECT ... FOR UPDATE on PostgreSQL;
SQLite serializes writers anyway) before the chain head is read, and the unique (batch_id, seq)
constraint is the last line of defence, turned into a 409 (refusing_races).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Conflict, NotFound
from itad.models import Batch, CustodyEvent, User, utcnow
from workflows.custody import GENESIS, canonical_json, event_hash, event_payload, verify_chain


@dataclass
class ChainHead:
    batch_id: int
    seq: int          # seq of the last event (0 when the chain is empty)
    hash: str         # its hash (GENESIS when empty)


def lock_batch(session: Session, batch_id: int) -> str:
    """Lock the batch row for the rest of the transaction; returns its status."""
    status = session.execute(
        sa.select(Batch.status).where(Batch.id == batch_id).with_for_update()
    ).scalar_one_or_none()
    if status is None:
        raise NotFound(f"No batch with id {batch_id}.")
    return status


def chain_head(session: Session, batch_id: int) -> ChainHead:
    """The last event of the batch's chain. Call with the batch locked (lock_batch)."""
    seq, digest = session.execute(sa.select(*head_columns()), {"batch_id": batch_id}).one()
    return head_of(batch_id, seq, digest)


@functools.cache
def head_columns() -> tuple:
    """(seq, hash) of the batch's last event as scalar subqueries bound by :batch_id (NULL when none),
    so a caller that has just locked the batch can read the head in a statement it makes anyway."""
    def last(column) -> sa.ScalarSelect:
        return (sa.select(column).where(CustodyEvent.batch_id == sa.bindparam("batch_id"))
                .order_by(CustodyEvent.seq.desc()).limit(1).scalar_subquery())
    return last(CustodyEvent.seq).label("head_seq"), last(CustodyEvent.hash).label("head_hash")


def head_of(batch_id: int, seq: int | None, digest: str | None) -> ChainHead:
    """The head read with head_columns() (an empty chain starts at GENESIS)."""
    return ChainHead(batch_id, seq, digest) if seq is not None else ChainHead(batch_id, 0, GENESIS)


def build_event(head: ChainHead, *, device_id: int | None, actor: User | None, action: str,
                from_state: str | None, to_state: str | None, evidence: dict | None,
                created_at: datetime | None = None) -> dict[str, Any]:
    """The next event's column values after `head` (head is advanced in place), hash computed."""
    created_at = created_at or utcnow()
    seq = head.seq + 1
    actor_id = actor.id if actor is not None else None
    actor_label = actor.name if actor is not None else "system"
    payload = event_payload(batch_id=head.batch_id, seq=seq, device_id=device_id, action=action,
                            from_state=from_state, to_state=to_state, actor_id=actor_id,
                            actor_label=actor_label, evidence=evidence, created_at=created_at)
    digest = event_hash(head.hash, payload)
    row = {"batch_id": head.batch_id, "device_id": device_id, "seq": seq, "actor_id": actor_id,
           "actor_label": actor_label, "action": action, "from_state": from_state, "to_state": to_state,
           "evidence": evidence or {}, "created_at": created_at, "prev_hash": head.hash, "hash": digest}
    head.seq, head.hash = seq, digest
    return row


def append(session: Session, batch_id: int, *, device_id: int | None, actor: User | None, action: str,
           from_state: str | None = None, to_state: str | None = None,
           evidence: dict | None = None) -> CustodyEvent:
    """Append one event. The caller has locked the batch (lock_batch) in this transaction."""
    session.flush()     # what the request changed before (a device the event names) is written first
    row = build_event(chain_head(session, batch_id), device_id=device_id, actor=actor, action=action,
                      from_state=from_state, to_state=to_state, evidence=evidence)
    event = CustodyEvent(**row)
    session.add(event)
    with refusing_races(session):
        session.flush()
    return event


@contextlib.contextmanager
def refusing_races(session: Session):
    """Writes of events in the block: the unique (batch_id, seq) refusing one means someone appended
    without holding the batch lock; the transaction is rolled back and the caller gets a 409."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        if "seq" not in str(exc.orig):
            raise
        session.rollback()
        raise Conflict("Another request appended to this batch's custody log at the same time; retry.",
                       code="custody_race", details={"needs": ["retry"]}) from None


def payload_of(event: CustodyEvent) -> dict[str, Any]:
    return event_payload(batch_id=event.batch_id, seq=event.seq, device_id=event.device_id,
                         action=event.action, from_state=event.from_state, to_state=event.to_state,
                         actor_id=event.actor_id, actor_label=event.actor_label, evidence=event.evidence,
                         created_at=event.created_at)


EXPORT_CHUNK = 2000


def export_lines(session: Session, batch_id: int) -> Iterator[str]:
    """The batch's chain as docs/custody-chain.md specifies it: one line per event, in seq order, each the
    payload its hash covers (created_at as the exact text hashed) with prev_hash and hash beside it. Read in
    chunks, written as they come: a 100,000-event chain never sits in memory whole."""
    e = CustodyEvent.__table__.c
    rows = session.execute(
        sa.select(e.batch_id, e.seq, e.device_id, e.action, e.from_state, e.to_state, e.actor_id, e.actor_label,
                  e.evidence, e.created_at, e.prev_hash, e.hash)
        .where(e.batch_id == batch_id).order_by(e.seq).execution_options(yield_per=EXPORT_CHUNK))
    for part in rows.partitions():
        # payload_of reads the row's columns by name, as it reads an event's: one list of the hashed fields.
        yield "".join(canonical_json({**payload_of(r), "prev_hash": r.prev_hash, "hash": r.hash}) + "\n"
                      for r in part)


@dataclass
class _Link:
    payload: dict
    prev_hash: str
    hash: str


def verify_batch(session: Session, batch_id: int) -> dict[str, Any]:
    """Recompute the batch's chain; name the first event that does not fit."""
    events = session.scalars(
        sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch_id).order_by(CustodyEvent.seq)
    ).all()
    report = verify_chain(_Link(payload_of(e), e.prev_hash, e.hash) for e in events)
    bad = events[report.first_bad_index] if report.first_bad_index is not None and \
        report.first_bad_index < len(events) else None
    return {"batch_id": batch_id, "ok": report.ok, "events": len(events),
            "first_bad_event_id": bad.id if bad else None,
            "first_bad_seq": bad.seq if bad else None, "reason": report.reason or None}


def timeline(session: Session, *, batch_id: int | None = None, device_id: int | None = None) -> sa.Select:
    stmt = sa.select(CustodyEvent)
    if batch_id is not None:
        stmt = stmt.where(CustodyEvent.batch_id == batch_id)
    if device_id is not None:
        stmt = stmt.where(CustodyEvent.device_id == device_id)
    return stmt


def batch_ids(session: Session) -> Iterable[int]:
    return session.scalars(sa.select(Batch.id).order_by(Batch.id)).all()
