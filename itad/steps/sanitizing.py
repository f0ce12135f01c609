"""Recording a wipe of one storage medium, as the technician or the tool reports it.

The claim is judged by workflows.sanitization (refused: 422 with the reasons; downgraded: stored at the
method an auditor accepts, with the reason). A drive found at the bench that was not on the list is
added to the device first. The state change itself is the machine's `sanitize` step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from certificates.storage import Storage
from itad.errors import Invalid
from itad.models import Device, SanitizationRecord, StorageMedium, User, utcnow
from itad.steps import custody
from itad.steps.transitions import (
    Applied, apply_transition, check_version, device_facts, flush, lock_and_reload, media_records, medium_of,
    policy_for,
)
from itad.steps.verifying import verification_required
from workflows.machine import Outcome, allowed_transitions
from workflows.sanitization import assess


@dataclass
class WipeClaim:
    """One wipe as reported: which medium, and what was done to it."""

    method: str
    technique: str
    medium_id: int | None = None
    medium_serial: str | None = None
    media_type: str | None = None        # for a drive found at the bench
    medium_model: str | None = None
    medium_manufacturer: str | None = None
    capacity_bytes: int | None = None
    tool: str | None = None
    tool_version: str | None = None
    passes: int | None = None
    verified_by_tool: bool | None = None
    hidden_areas: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: str = "erased"


@dataclass
class Recorded:
    record: SanitizationRecord
    applied: Applied
    medium_added: bool


def find_or_add_medium(session: Session, actor: User, device: Device, claim: WipeClaim) -> tuple[StorageMedium | None, bool]:
    if claim.medium_id is not None:
        return medium_of(device, claim.medium_id), False
    if claim.medium_serial:
        key = claim.medium_serial.strip().upper()
        for m in device.media:
            if (m.serial or "").strip().upper() == key:
                return m, False
        if device.state != "received":
            return None, False      # the machine refuses with the state; add nothing
        medium = StorageMedium(device_id=device.id, serial=claim.medium_serial.strip(),
                               media_type=(claim.media_type or "unknown").lower(),
                               manufacturer=claim.medium_manufacturer, model=claim.medium_model,
                               capacity_bytes=claim.capacity_bytes, source="bench")
        session.add(medium)
        flush(session)
        custody.append(session, device.batch_id, device_id=device.id, actor=actor, action="medium_added",
                       from_state=device.state, to_state=device.state,
                       evidence={"medium_id": medium.id, "serial": medium.serial, "media_type": medium.media_type})
        session.refresh(device, ["media"])
        return medium, True
    return medium_of(device, None), False


def record_sanitization(session: Session, actor: User, device: Device, claim: WipeClaim, *,
                        report: bytes | None = None, store: Storage | None = None,
                        source: str = "api", expected_version: int | None = None) -> Recorded:
    check_version(device, expected_version)
    lock_and_reload(session, device)
    # Read before the transition: the attempt number follows the medium's latest record.
    latest = media_records(session, device)
    medium, added = find_or_add_medium(session, actor, device, claim)
    policy = policy_for(session, device)
    if device.state == "received" and medium is not None:
        try:
            verdict = assess(medium.media_type, claim.method, claim.technique, tool_result=claim.result,
                             hidden_areas=claim.hidden_areas, verified_by_tool=claim.verified_by_tool,
                             minimum=policy.minimum_method)
        except ValueError as exc:
            raise Invalid(str(exc), code="invalid_method", details={"state": device.state}) from None
        if not verdict.accepted:
            raise Invalid(f"The wipe record for medium {medium.id} is refused: " + "; ".join(verdict.reasons),
                          code="sanitization_refused",
                          details={"state": device.state, "medium_id": medium.id, "reasons": list(verdict.reasons),
                                   "claimed_method": verdict.claimed_method.value,
                                   "effective_method": verdict.effective_method.value if verdict.effective_method else None,
                                   "minimum_method": policy.minimum_method.value,
                                   "needs": ["a technique that reaches the policy minimum on this medium, or destroy"]})
    digest = store.put(report) if report and store else None
    evidence = {"tool": claim.tool, "tool_version": claim.tool_version, "passes": claim.passes,
                "report_sha256": digest, "source": source}

    def wipe_record(outcome: Outcome) -> tuple[type, dict]:
        # From the machine's verdict; the attempt number follows the medium's latest record.
        verdict = outcome.assessment
        after = outcome.changed_media[0]
        previous = latest.get(after.id, (None, None))[0]
        return SanitizationRecord, dict(
            medium_id=after.id, device_id=device.id, batch_id=device.batch_id,
            attempt=(previous.attempt if previous else 0) + 1,
            claimed_method=verdict.claimed_method.value, effective_method=verdict.effective_method.value,
            decision=verdict.decision, technique=verdict.technique, tool=claim.tool, tool_version=claim.tool_version,
            passes=claim.passes, tool_verified=claim.verified_by_tool, hidden_areas=claim.hidden_areas,
            started_at=claim.started_at, finished_at=claim.finished_at, result=verdict.result.value,
            reasons=list(verdict.reasons),
            verification_required=verification_required(session, device.batch_id, after.id,
                                                         verdict.effective_method.value, policy),
            operator_id=actor.id, operator_label=actor.name, report_sha256=digest, source=source,
            created_at=utcnow())

    applied = apply_transition(
        session, device, "sanitize", actor, locked=True, evidence=evidence, record=wipe_record,
        medium_id=medium.id if medium else claim.medium_id, method=claim.method, technique=claim.technique,
        result=claim.result, hidden_areas=claim.hidden_areas, verified_by_tool=claim.verified_by_tool)
    skip_verification_if_sampled_out(session, actor, device)
    return Recorded(applied.record, applied, added)


def skip_verification_if_sampled_out(session: Session, actor: User, device: Device) -> None:
    """A device whose media the sampling did not pick moves on to `verified`, and the log says why."""
    if device.state != "sanitized":
        return
    policy = policy_for(session, device)
    if policy.verification == "all":
        return      # every medium is verified: sampling never lets one through
    if "skip_verification" in allowed_transitions(device_facts(session, device, policy), policy, actor.id):
        apply_transition(session, device, "skip_verification", actor, locked=True,
                         evidence={"reason": "the policy's sampling picked none of this device's media"})


def claim_from(data: dict[str, Any]) -> WipeClaim:
    fields = WipeClaim.__dataclass_fields__
    return WipeClaim(**{k: v for k, v in data.items() if k in fields})
