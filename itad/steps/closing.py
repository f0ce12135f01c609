"""Closing a batch: every device settled, never-received lines marked missing, then the certificate.

A batch closes only when no unit found at receiving is still unreconciled and every device it holds
is in a final state (cleared, destroyed, matched). Manifest lines never received become `missing`,
each with its own custody event, in the same unit of work as the close.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.certification.issuing import request_certificate, signing_ready
from itad.errors import Conflict
from itad.jobs import JobContext, job
from itad.jobs.registry import kind_of
from itad.models import Batch, Device, Job, StorageMedium, User, utcnow
from itad.models.rowsets import streaming
from itad.steps import custody, erasure_reports
from itad.steps.applying import actor_of
from itad.steps.held import lock
from itad.steps.planning import Step, plan
from itad.steps.writing import write
from workflows.machine import SETTLED_STATES

log = logging.getLogger(__name__)


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
    # A drive whose facts a wipe or a report contradicted: the certificate would print what a person has not
    # settled (itad.steps.drives: confirm or correct them).
    for r in session.execute(
            sa.select(Device.id, Device.serial, Device.state, StorageMedium.id.label("medium_id"),
                      StorageMedium.review_reason)
            .join(StorageMedium, StorageMedium.device_id == Device.id)
            .where(Device.batch_id == batch_id, StorageMedium.review_reason.is_not(None)).order_by(StorageMedium.id)):
        blockers.append({"device_id": r.id, "serial": r.serial, "state": r.state, "medium_id": r.medium_id,
                         "needs": f"settle the facts of drive {r.medium_id} ({r.review_reason}): confirm or "
                                  f"correct them"})
    # A drive of an imported erasure report that was not applied: the batch's record would miss what it says.
    for item in erasure_reports.open_items(session, batch_id):
        blockers.append({"review_item_id": item.id, "serial": item.drive.get("serial"), "state": "erasure_review",
                         "needs": "resolve the erasure report's drives still under review: match each to a "
                                  "drive or dismiss it with a reason",
                         "reason": item.reason})
    # Loose drives and tapes counted at the site: each ends wiped or destroyed, or is reported missing.
    from itad import downstream

    for reason in downstream.closing_blockers(session, batch_id):
        blockers.append({"state": "lot", "needs": f"account for the lot's pieces: {reason}"})
    return blockers


def close_batch(session: Session, actor: User, batch: Batch, *, progress=None) -> dict:
    """Close the batch in this unit of work. `progress(done, total)` hears how many never-received lines
    are being recorded missing: 0 of them before, all of them after (one set-wise write in between)."""
    status = custody.lock_batch(session, batch.id)
    if status != "open":
        raise Conflict(f"Batch {batch.id} is already {status}.", code="batch_closed",
                       details={"state": status, "allowed": [], "needs": []})
    blockers = close_blockers(session, batch.id)
    if blockers:
        unexpected = sum(1 for b in blockers if b["state"] == "unexpected")
        raise Conflict(f"Batch {batch.id} cannot close: {len(blockers)} device(s) or lot(s) are not settled "
                       f"({unexpected} unexpected unit(s) to reconcile).", code="batch_not_settled",
                       details={"state": status, "blockers": blockers[:100], "blocker_count": len(blockers),
                                "allowed": [], "needs": sorted({b["needs"] for b in blockers})})
    never_received = session.scalars(
        sa.select(Device.id).where(Device.batch_id == batch.id, Device.state == "registered").order_by(Device.id)
    ).all()
    if progress:
        progress(0, len(never_received))
    _mark_missing(session, actor, never_received)
    if progress:
        progress(len(never_received), len(never_received))
    session.refresh(batch)
    batch.status, batch.closed_at = "closed", utcnow()
    custody.append(session, batch.id, device_id=None, actor=actor, action="close_batch",
                   evidence={"missing": len(never_received)})
    audit_log.record(session, "batch_closed", organization_id=batch.organization_id, actor=actor,
                     subject=f"batch {batch.id} ({batch.reference})", before={"status": "open"},
                     after={"status": "closed", "missing": len(never_received)})
    after_batch_closed(session, batch, actor)
    return {"batch_id": batch.id, "status": batch.status, "missing": list(never_received)}


def _mark_missing(session: Session, actor: User, device_ids: list[int]) -> None:
    """Every manifest line never received becomes `missing`, each with its event: planned and written
    set-wise, as a bulk of wipe results is (a 5,000-line batch may close with most lines unreceived)."""
    held = lock(session, device_ids)
    now, who = utcnow(), actor_of(actor)
    devices = list(held.devices.values())
    plans = [plan(held, d, Step("mark_missing", {"batch_closing": True}), who, now) for d in devices]
    with custody.refusing_races(session), streaming(session) as stream:
        write(session, plans, devices, now, stream=stream)
    session.expire_all()


def after_batch_closed(session: Session, batch: Batch, actor: User | None = None) -> None:
    """CERTIFICATE HOOK: closing a batch is what issues its Certificate of Sanitization.

    The request (with its number) is made in this unit of work; the render job is sent after commit.
    With no signing key set up yet the close still goes through: an admin issues the certificate
    later (POST /api/v1/batches/<id>/certificates), and the log says so.
    """
    if not signing_ready(session):
        log.warning("batch %s closed without a certificate: no signing key or passphrase is set up", batch.id)
        return None
    request_certificate(session, actor, batch=batch, reason="batch closed")
    return None


@job("default", retries=0)       # a refusal (a unit not settled) stays one: it is shown, not tried again
def close_batch_job(ctx: JobContext, batch_id: int, created_by_id: int) -> dict:
    """Closing from the admin pages: a 5,000-line batch takes seconds, so the page shows the job's progress
    rather than hold the request. Run twice, the second finds the batch closed and says so (a 409)."""
    session = ctx.session
    batch = session.get(Batch, batch_id)
    result = close_batch(session, session.get(User, created_by_id), batch, progress=ctx.progress)
    return {"batch_id": batch_id, "missing": len(result["missing"])}


def closing_job(session: Session, batch: Batch) -> Job | None:
    """The latest close job asked for this batch, if any (its progress, or why it failed)."""
    kind = kind_of(close_batch_job)
    for found in session.scalars(sa.select(Job).where(Job.kind == kind, Job.organization_id == batch.organization_id)
                                 .order_by(Job.id.desc()).limit(50)):
        if (found.args or {}).get("batch_id") == batch.id:
            return found
    return None
