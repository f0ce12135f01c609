"""Planning a step: (the step asked for, the facts held) -> the rows to write. Nothing here touches the database.

`plan` runs the machine (workflows.machine.apply) on the held device under its batch's policy and
returns what the step writes: its record (a wipe record, a verification, a grading, a destruction),
the custody events chained from the batch's head, and the device's new state (the held device and
batch advance in memory: its version moves by one per step, the head per event, the batch's
verification pick per wipe). Every entry point plans here, one step or ten thousand, so the
sampling rule, the chaining and the versioning exist once; itad.steps.writing writes the plans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from itad.models import Destruction, DeviceGrading, SanitizationRecord, Verification
from itad.steps import custody
from itad.steps.held import Held, HeldBatch, HeldDevice
from workflows.machine import DeviceFacts, MediumFacts, Outcome, allowed_transitions, apply
from workflows.media import same_capacity
from workflows.sampling import picked_by_rule


class Actor(NamedTuple):
    """Who performs the steps, as the records and events name them."""

    id: int
    name: str


@dataclass
class Step:
    """A step asked for.

    facts: what the machine reads (medium_id, method, technique, result, hidden_areas, verified_by_tool,
    passed, grade, technique, manifest_device_id, price, reason, batch_closing).
    evidence: copied into the custody event (the machine adds what it decided).
    details: the step's record's own columns (tool, tool_version, passes, started_at, finished_at,
    report_sha256, source for a wipe; notes; functional_checks; witness, destroyed_at).
    """

    action: str
    facts: dict[str, Any]
    evidence: dict[str, Any] | None = None
    details: dict[str, Any] | None = None


@dataclass
class Planned:
    device: HeldDevice
    outcome: Outcome                            # the step asked for (not the skip that may follow)
    events: list[dict[str, Any]]                # custody rows, in chain order
    event: dict[str, Any]                       # the step's own among them
    record: tuple[sa.Table, dict[str, Any]] | None = None


def plan(held: Held, device: HeldDevice, step: Step, actor: Actor, now: datetime, *,
         medium_added: bool = False) -> Planned:
    """Plan `step` on the held device, or raise workflows.machine.TransitionRefused (nothing planned).

    medium_added: the step's medium was added at the bench just now (its event comes first)."""
    batch = held.batch_of(device)
    outcome = apply(device.facts, step.action, actor.id, batch.policy, evidence=step.evidence, **step.facts)
    if step.action == "sanitize":
        outcome = _sampled(batch, outcome)
    elif step.action == "verify":
        outcome = _checked(device, outcome)
    events = []
    if medium_added:
        medium = outcome.changed_media[0]
        events.append(_event(batch, device, actor, now, "medium_added", device.facts.state, device.facts.state,
                             {"medium_id": medium.id, "serial": device.media[medium.id].serial,
                              "media_type": medium.media_type}))
    build = _RECORDS.get(step.action)
    record = build(batch, device, outcome, step.details or {}, actor, now) if build else None
    _advance(device, outcome)
    event = _event(batch, device, actor, now, step.action, outcome.from_state, outcome.to_state, outcome.evidence)
    events.append(event)
    if step.action == "sanitize":
        events += _skip_if_sampled_out(batch, device, actor, now)
    return Planned(device, outcome, events, event, record)


# A drive's facts, as a wipe, a report or a person gives them (the key) and as the medium stores them.
DRIVE_FACTS = {"media_type": "media_type", "medium_manufacturer": "manufacturer", "medium_model": "model",
               "capacity_bytes": "capacity_bytes"}
UNKNOWN = (None, "", "unknown")     # a fact nobody has given


def compared(device: HeldDevice, medium_id: int, given: dict[str, Any]) -> tuple[dict, dict, dict]:
    """(stored, to fill, contradicted): the drive's stored facts by column, what `given` says that the drive
    lacks, and what it says otherwise than stored ({column: {"stored", "said"}})."""
    medium = device.media[medium_id]
    stored = {"media_type": device.facts.medium(medium_id).media_type, "manufacturer": medium.manufacturer,
              "model": medium.model, "capacity_bytes": medium.capacity_bytes}
    fills, conflicts = {}, {}
    for key, column in DRIVE_FACTS.items():
        value = given.get(key)
        if value in UNKNOWN:
            continue
        value = value.lower() if column == "media_type" else value
        if stored[column] in UNKNOWN:
            fills[column] = value
        elif not _same(column, stored[column], value):
            conflicts[column] = {"stored": stored[column], "said": value}
    return stored, fills, conflicts


def describe(held: Held, device: HeldDevice, medium_id: int, given: dict[str, Any], actor: Actor, now: datetime, *,
             source: str, correcting: bool = False) -> Planned | None:
    """A drive's facts (type, make, model, capacity) filled from what a wipe, a report or a person says of it;
    None when that adds nothing. A fact the drive does not have yet is filled. One it has and that is said
    differently is kept, and the drive flagged for review (review_reason), unless a person is correcting it
    (correcting=True, which also ends the review). Either way the custody log says what was set, what it
    was, and who said so."""
    medium = device.media[medium_id]
    stored, changes, conflicts = compared(device, medium_id, given)
    if correcting:              # a person, before the wipe (itad.steps.drives says when)
        changes.update({column: said["said"] for column, said in conflicts.items()})
        conflicts = {}
    cleared = correcting and medium.review_reason is not None     # a person has looked at the drive
    if not changes and not conflicts and not cleared:
        return None
    facts = device.facts.medium(medium_id)
    for column, value in changes.items():
        if column == "media_type":
            facts = replace(facts, media_type=value)
        else:
            setattr(medium, column, value)
    evidence = {"medium_id": medium_id, "source": source,
                "set": {c: {"was": stored[c], "now": v} for c, v in changes.items()}}
    if cleared:
        evidence["review_cleared"] = medium.review_reason
        medium.review_reason = None
    if conflicts:
        # Who said it is in the event's evidence (source, actor); the reason says what disagreed.
        medium.review_reason = "; ".join(f"{c} said {v['said']!r}, stored {v['stored']!r}"
                                         for c, v in conflicts.items())[:500]
        evidence["conflicts"] = conflicts
    outcome = Outcome("describe_medium", device.facts.state, device.facts.state, _with_medium(device.facts, facts),
                      (facts,), None, evidence)
    device.described.add(medium_id)
    _advance(device, outcome)
    batch = held.batch_of(device)
    event = _event(batch, device, actor, now, "describe_medium", outcome.from_state, outcome.to_state, evidence)
    return Planned(device, outcome, [event], event)


def typed(device: HeldDevice, medium_id: int, given: dict[str, Any]):
    """The device's facts as the machine would see them once `describe` filled the drive's unknown type from
    `given`; None when it would not (a bulk checks a wipe on these before describing: each result stands
    alone, and a refused one must leave the drive as it was)."""
    media_type = given.get("media_type")
    facts = device.facts.medium(medium_id)
    if media_type in UNKNOWN or facts.media_type not in UNKNOWN:
        return None
    return _with_medium(device.facts, replace(facts, media_type=media_type.lower()))


def _with_medium(device: DeviceFacts, medium: MediumFacts) -> DeviceFacts:
    """The device's facts with one medium's replaced."""
    return replace(device, media=tuple(medium if m.id == medium.id else m for m in device.media))


def _same(column: str, stored: Any, said: Any) -> bool:
    if column == "capacity_bytes" and isinstance(stored, int) and isinstance(said, int):
        return same_capacity(stored, said)      # a labelled size and a counted one name the same drive
    if isinstance(stored, str) and isinstance(said, str):
        return stored.strip().casefold() == said.strip().casefold()
    return stored == said


def _advance(device: HeldDevice, outcome: Outcome) -> None:
    device.facts = outcome.device
    device.steps += 1
    for medium in outcome.changed_media:
        device.changed_media[medium.id] = medium


def _event(batch: HeldBatch, device: HeldDevice, actor: Actor, now: datetime, action: str,
           from_state: str | None, to_state: str | None, evidence: dict | None) -> dict[str, Any]:
    return custody.build_event(batch.head, device_id=device.id, actor=actor, action=action, from_state=from_state,
                               to_state=to_state, evidence=jsonable(evidence), created_at=now)


def _skip_if_sampled_out(batch: HeldBatch, device: HeldDevice, actor: Actor, now: datetime) -> list[dict]:
    """A device whose media the sampling did not pick moves on to `verified`, and the log says why."""
    if device.facts.state != "sanitized" or batch.policy.verification == "all":
        return []       # every medium is verified: sampling never lets one through
    if "skip_verification" not in allowed_transitions(device.facts, batch.policy, actor.id):
        return []
    outcome = apply(device.facts, "skip_verification", actor.id, batch.policy)
    _advance(device, outcome)
    return [_event(batch, device, actor, now, "skip_verification", outcome.from_state, outcome.to_state,
                   {"reason": "the policy's sampling picked none of this device's media"})]


def _wipe_record(batch: HeldBatch, device: HeldDevice, outcome: Outcome, details: dict, actor: Actor,
                 now: datetime) -> tuple[sa.Table, dict]:
    verdict = outcome.assessment
    after = outcome.changed_media[0]
    method, result = verdict.effective_method.value, verdict.result.value
    required = after.verification_required
    medium = device.media[after.id]
    medium.attempt += 1
    row = dict(
        medium_id=after.id, device_id=device.id, batch_id=device.batch_id, attempt=medium.attempt,
        claimed_method=verdict.claimed_method.value, effective_method=method, decision=verdict.decision,
        technique=verdict.technique, tool=details.get("tool"), tool_version=details.get("tool_version"),
        passes=details.get("passes"), tool_verified=details.get("verified_by_tool"),
        hidden_areas=details.get("hidden_areas"), started_at=details.get("started_at"),
        finished_at=details.get("finished_at"), result=result, reasons=list(verdict.reasons),
        verification_required=required, operator_id=actor.id, operator_label=actor.name,
        report_sha256=details.get("report_sha256"), source=details.get("source") or "api", created_at=now)
    return SanitizationRecord.__table__, row


def _sampled(batch: HeldBatch, outcome: Outcome) -> Outcome:
    """The wipe's outcome with its medium's verification requirement as workflows.sampling decides it
    when the wipe is recorded. Rules 1-2 (every Cleared medium; Purged media drawn by hash) as they are;
    rule 3 (at least one per batch) in time order: while no wipe of the batch is picked, the next one
    is, since a decision at the bench cannot wait for the batch's last drive. Only an erased wipe
    keeps the pick: a failed one leaves nothing to verify."""
    after = outcome.changed_media[0]
    result = outcome.assessment.result.value
    required = picked_by_rule(batch.policy, batch.id, after.id, outcome.assessment.effective_method.value) \
        or not batch.picked
    batch.picked = batch.picked or (required and result == "erased")
    if after.verification_required == required:
        return outcome
    after = replace(after, verification_required=required)
    return replace(outcome, device=_with_medium(outcome.device, after), changed_media=(after,))


def _checked(device: HeldDevice, outcome: Outcome) -> Outcome:
    """A verification's event names the wipe record it checked."""
    record_id = device.media[outcome.changed_media[0].id].record_id
    return replace(outcome, evidence={**outcome.evidence, "sanitization_record_id": record_id})


def _check_record(batch: HeldBatch, device: HeldDevice, outcome: Outcome, details: dict, actor: Actor,
                  now: datetime) -> tuple[sa.Table, dict]:
    medium = outcome.changed_media[0]
    return Verification.__table__, dict(
        medium_id=medium.id, device_id=device.id, sanitization_record_id=outcome.evidence["sanitization_record_id"], verifier_id=actor.id,
        verifier_label=actor.name, result="passed" if outcome.evidence["passed"] else "failed",
        mode="full" if batch.policy.verification == "all" else "sampled", notes=details.get("notes"),
        created_at=now)


def _grading_record(batch: HeldBatch, device: HeldDevice, outcome: Outcome, details: dict, actor: Actor,
                    now: datetime) -> tuple[sa.Table, dict]:
    return DeviceGrading.__table__, dict(
        device_id=device.id, grade=outcome.device.grade, functional_checks=details.get("functional_checks"),
        notes=details.get("notes"), graded_by_id=actor.id, graded_by_label=actor.name, created_at=now)


def _destruction_record(batch: HeldBatch, device: HeldDevice, outcome: Outcome, details: dict, actor: Actor,
                        now: datetime) -> tuple[sa.Table, dict]:
    return Destruction.__table__, dict(
        device_id=device.id, technique=outcome.evidence.get("technique") or details.get("technique"),
        witness=details.get("witness"), destroyed_at=details.get("destroyed_at") or now, notes=details.get("notes"),
        performed_by_id=actor.id, performed_by_label=actor.name, created_at=now)


# The steps that leave a record of their own beside the custody event.
_RECORDS = {"sanitize": _wipe_record, "verify": _check_record, "grade": _grading_record,
            "regrade": _grading_record, "destroy": _destruction_record}


_PLAIN = frozenset({str, int, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Evidence goes into a JSON column and into the hash: only JSON types, the same after a round trip.
    (Plain values pass as they are: a bulk of results plans thousands of events.)"""
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): v if type(v) in _PLAIN else jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, float, str, bool)):
        return value.value
    if isinstance(value, float):
        return repr(value)
    return value
