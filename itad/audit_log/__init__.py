"""The operator's audit log: each admin action one event in a hash chain (who, when, what before and after,
from where), hashed as the custody chains are (docs/custody-chain.md, "The operator's audit log").

`record` is called by the service that acts, in its transaction: the event commits with the change or not at
all. One chain for the whole operator: appends take a lock (PostgreSQL: an advisory lock for the transaction;
SQLite serialises writers), and the unique seq is the last line of defence.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from itad.models import AuditEvent, User, utcnow
from workflows.custody import GENESIS, canonical_json, canonical_time, event_hash, verify_chain

ACTIONS = ("organization_created", "user_created", "user_deactivated", "user_reactivated", "user_role_changed",
           "user_password_reset", "token_issued", "token_revoked", "policy_changed",
           "settlement_terms_changed", "signing_key_created", "signing_key_imported", "signing_key_rotated",
           "certificate_revoked", "batch_closed", "warranty_term_changed",
           "condition_mapping_changed", "grading_scheme_changed", "impact_factor_changed", "vendor_added",
           "vendor_certification_added")


def _actor(actor: User | None) -> tuple[int | None, str]:
    if actor is None and has_request_context():
        actor = g.get("api_user")
        if actor is None:
            from flask_login import current_user

            actor = current_user if getattr(current_user, "is_authenticated", False) else None
    if actor is None:
        return None, "system (command line)" if not has_request_context() else "anonymous"
    return actor.id, f"{actor.name} <{actor.email}>"


def _address() -> str:
    return (request.remote_addr or "unknown")[:64] if has_request_context() else "cli"


def payload_of(*, seq: int, organization_id: int | None, actor_id: int | None, actor_label: str, action: str,
               subject: str, before: Any, after: Any, address: str, created_at: Any) -> dict[str, Any]:
    return {"seq": seq, "organization_id": organization_id, "actor_id": actor_id, "actor_label": actor_label,
            "action": action, "subject": subject, "before": before, "after": after, "address": address,
            "created_at": canonical_time(created_at)}


def record(session: Session, action: str, *, subject: str, organization_id: int | None = None,
           before: dict | None = None, after: dict | None = None, actor: User | None = None) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('itad-audit-log'))"))
    session.flush()
    head = session.execute(sa.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    actor_id, label = _actor(actor)
    # before/after as JSON gives them back: Decimals and datetimes as text, so the stored row hashes the same.
    before = None if before is None else _json(before)
    after = None if after is None else _json(after)
    created_at = utcnow()
    address = _address()
    payload = payload_of(seq=seq, organization_id=organization_id, actor_id=actor_id, actor_label=label[:200],
                         action=action, subject=subject[:200], before=before, after=after, address=address,
                         created_at=created_at)
    event = AuditEvent(seq=seq, organization_id=organization_id, actor_id=actor_id, actor_label=label[:200],
                       action=action, subject=subject[:200], before=before, after=after, address=address,
                       created_at=created_at, prev_hash=prev, hash=event_hash(prev, payload))
    session.add(event)
    session.flush()
    return event


def set_row(session: Session, actor: User, model, key: dict[str, Any], values: dict[str, Any], *, action: str,
            subject: str, organization_id: int | None = None):
    """Create or change the one row of `model` with these key columns (an admin's setting: a warranty term, a
    grading scheme...), stamp who and when (`updated_by_id`, `updated_at`), and record the change: the values
    before (None for a new row) and after."""
    actor_id = actor.id     # read first: loading an expired actor would flush a half-made row
    row = session.scalar(sa.select(model).filter_by(**key))
    before = {k: getattr(row, k) for k in values} if row is not None else None
    if row is None:
        row = model(**key)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id, row.updated_at = actor_id, utcnow()
    session.flush()
    record(session, action, organization_id=organization_id, actor=actor, subject=subject, before=before,
           after=values)
    return row


def _json(value: dict) -> dict:
    return json.loads(canonical_json(value))


def _payload(e) -> dict[str, Any]:
    return payload_of(seq=e.seq, organization_id=e.organization_id, actor_id=e.actor_id, actor_label=e.actor_label,
                      action=e.action, subject=e.subject, before=e.before, after=e.after, address=e.address,
                      created_at=e.created_at)


class _Link:
    def __init__(self, e) -> None:
        self.payload, self.prev_hash, self.hash = _payload(e), e.prev_hash, e.hash


def verify(session: Session) -> dict[str, Any]:
    events = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    report = verify_chain(_Link(e) for e in events)
    bad = events[report.first_bad_index] if report.first_bad_index is not None and \
        report.first_bad_index < len(events) else None
    return {"ok": report.ok, "events": len(events), "first_bad_seq": bad.seq if bad else None,
            "reason": report.reason or None}


def query(organization_id: int | None = None) -> sa.Select:
    """Every event (organization_id None: the operator), or those about one client organization."""
    stmt = sa.select(AuditEvent)
    if organization_id is not None:
        stmt = stmt.where(AuditEvent.organization_id == organization_id)
    return stmt


def export_lines(session: Session, organization_id: int | None = None) -> Iterator[str]:
    """The chain as hashed, a line per event (payload, prev_hash, hash), in seq order."""
    stmt = query(organization_id).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    for part in session.scalars(stmt).partitions():
        yield "".join(canonical_json({**_payload(e), "prev_hash": e.prev_hash, "hash": e.hash}) + "\n" for e in part)
