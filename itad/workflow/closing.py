"""Closing a batch: every device settled, never-received lines marked missing, then the certificate.

A batch closes only when no unit found at receiving is still unreconciled and every device it holds
is in a final state (cleared, destroyed, matched). Manifest lines never received become `missing`,
each with its own custody event, in the same unit of work as the close.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Conflict
from itad.models import Batch, Device, User, utcnow
from itad.workflow import custody
from itad.workflow.transitions import apply_transition, flush
from workflows.machine import SETTLED_STATES


def close_blockers(session: Session, batch_id: int) -> list[dict]:
    rows = session.execute(
        sa.select(Device.id, Device.serial, Device.state).where(
            Device.batch_id == batch_id, Device.state.not_in(SETTLED_STATES | {"registered"}))
        .order_by(Device.id)
    ).all()
    blockers = []
    for r in rows:
        needs = "match it to a manifest line or accept it" if r.state == "unexpected" else \
            "finish it: clear or destroy"
        blockers.append({"device_id": r.id, "serial": r.serial, "state": r.state, "needs": needs})
    return blockers


def close_batch(session: Session, actor: User, batch: Batch) -> dict:
    status = custody.lock_batch(session, batch.id)
    if status != "open":
        raise Conflict(f"Batch {batch.id} is already {status}.", code="batch_closed",
                       details={"state": status, "allowed": [], "needs": []})
    blockers = close_blockers(session, batch.id)
    if blockers:
        unexpected = sum(1 for b in blockers if b["state"] == "unexpected")
        raise Conflict(f"Batch {batch.id} cannot close: {len(blockers)} device(s) are not settled "
                       f"({unexpected} unexpected unit(s) to reconcile).", code="batch_not_settled",
                       details={"state": status, "blockers": blockers[:100], "blocker_count": len(blockers),
                                "allowed": [], "needs": sorted({b["needs"] for b in blockers})})
    never_received = session.scalars(
        sa.select(Device).where(Device.batch_id == batch.id, Device.state == "registered").order_by(Device.id)
    ).all()
    for device in never_received:
        apply_transition(session, device, "mark_missing", actor, locked=True, batch_closing=True)
    session.refresh(batch)
    batch.status, batch.closed_at = "closed", utcnow()
    custody.append(session, batch.id, device_id=None, actor=actor, action="close_batch",
                   evidence={"missing": len(never_received)})
    flush(session)
    after_batch_closed(session, batch)
    return {"batch_id": batch.id, "status": batch.status, "missing": [d.id for d in never_received]}


def after_batch_closed(session: Session, batch: Batch) -> None:
    """CERTIFICATE HOOK: closing a batch is what issues its Certificate of Sanitization.

    The certificates work plugs in here (enqueue the render job *after commit*, by batch id). Until
    then this is deliberately a no-op, named so that it is found.
    """
    return None
