"""Verification of a wipe by a second person (four-eyes), and which wipes need one (sampling).

A failed verification sends the medium back to be wiped again (the device returns to `received`);
after the policy's max failed wipes, only destruction is left.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Invalid
from itad.models import Device, SanitizationRecord, User, Verification
from itad.workflow.transitions import Applied, apply_transition, check_version, flush, latest_records, lock_and_reload, medium_of
from workflows.policy import Policy
from workflows.sampling import draw


def verification_required(session: Session, batch_id: int, medium_id: int, method: str | None,
                          policy: Policy) -> bool:
    """workflows.sampling's rule, decided when the wipe is recorded.

    Rules 1-2 (every Cleared medium; Purged media drawn by hash) are the same. Rule 3 (at least one
    per batch) is taken in time order: while no wipe of the batch has been picked, the next one is,
    because a decision made at the bench cannot wait for the batch's last drive.
    """
    if policy.verification == "all":
        return True
    if (method or "clear") == "clear" and policy.verify_all_cleared:
        return True
    if draw(batch_id, medium_id) < policy.sample_percent / 100:
        return True
    already = session.scalar(sa.select(SanitizationRecord.id).where(
        SanitizationRecord.batch_id == batch_id, SanitizationRecord.verification_required.is_(True)).limit(1))
    return already is None


def verify(session: Session, actor: User, device: Device, *, medium_id: int | None, passed: bool,
           notes: str | None = None, expected_version: int | None = None) -> tuple[Verification | None, Applied]:
    check_version(device, expected_version)
    lock_and_reload(session, device)
    medium = medium_of(device, medium_id)
    record = latest_records(session, [device.id]).get(medium.id) if medium else None
    applied = apply_transition(session, device, "verify", actor, locked=True,
                               medium_id=medium.id if medium else medium_id, passed=passed,
                               evidence={"notes": notes, "sanitization_record_id": record.id if record else None})
    if record is None:  # the machine accepted a verify with no wipe record: cannot happen, but never silently
        raise Invalid("No wipe record to verify.", code="no_record", details={"state": device.state})
    check = Verification(medium_id=medium.id, device_id=device.id, sanitization_record_id=record.id,
                         verifier_id=actor.id, verifier_label=actor.name, result="passed" if passed else "failed",
                         mode="full" if applied.policy.verification == "all" else "sampled", notes=notes)
    session.add(check)
    flush(session, device.id)
    return check, applied
