"""Verification of a wipe by a second person (four-eyes), and which wipes need one (sampling).

A failed verification sends the medium back to be wiped again (the device returns to `received`);
after the policy's max failed wipes, only destruction is left.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Invalid
from itad.models import Device, SanitizationRecord, StorageMedium, User, Verification
from itad.steps.transitions import (
    Applied, apply_transition, check_version, flush, lock_and_reload, media_records, medium_of,
)
from workflows.policy import Policy
from workflows.sampling import picked_by_rule


def verification_required(session: Session, batch_id: int, medium_id: int, method: str | None,
                          policy: Policy) -> bool:
    """workflows.sampling's rule, decided when the wipe is recorded.

    Rules 1-2 (every Cleared medium; Purged media drawn by hash) are the same. Rule 3 (at least one
    per batch) is taken in time order: while no wipe of the batch has been picked, the next one is,
    because a decision made at the bench cannot wait for the batch's last drive.
    """
    return picked_by_rule(policy, batch_id, medium_id, method) or not batch_pick_stands(session, batch_id)


def batch_pick_stands(session: Session, batch_id: int) -> bool:
    """Whether a wipe of the batch is picked for verification and can still be (or was) verified.

    A failed wipe, one whose verification failed, or one shredded unverified leaves nothing to verify,
    so the next good wipe is picked instead (rule 3: at least one medium per batch is verified)."""
    checked = sa.select(Verification.id).where(Verification.sanitization_record_id == SanitizationRecord.id)
    return session.scalar(
        sa.select(SanitizationRecord.id).join(StorageMedium, StorageMedium.id == SanitizationRecord.medium_id)
        .where(SanitizationRecord.batch_id == batch_id, SanitizationRecord.verification_required.is_(True),
               SanitizationRecord.result == "erased",
               ~sa.exists(checked.where(Verification.result != "passed")),
               sa.or_(StorageMedium.state != "destroyed", sa.exists(checked))).limit(1)) is not None


def verify(session: Session, actor: User, device: Device, *, medium_id: int | None, passed: bool,
           notes: str | None = None, expected_version: int | None = None) -> tuple[Verification | None, Applied]:
    check_version(device, expected_version)
    lock_and_reload(session, device)
    latest = media_records(session, device)
    medium = medium_of(device, medium_id)
    record = latest.get(medium.id, (None, None))[0] if medium else None
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
