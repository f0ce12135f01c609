"""Many wipe results at once (an erasure station's export, an nwipe log): each applied or rejected alone.

The single-result path costs a dozen queries per wipe; 10,000 results that way would take minutes.
Here the named media are found in one query, their batches locked, then their devices locked and read
with every medium and its latest record in one statement (bulk_snapshot). Every result goes through
the same machine (workflows.machine.apply) in memory, in order, so two results for one device see
each other; the custody events are chained in the same pass from each locked batch's head. Rows are
written set-wise (rowsets), a chunk at a time while the next chunk is applied: its records and
custody events, then the devices no later item names, with their media (each device once, version
bumped and checked).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from itad.errors import Conflict
from itad.models import CustodyEvent, Device, SanitizationRecord, StorageMedium, User, utcnow
from itad.steps import custody
from itad.steps.bulk_snapshot import MediumRow, NewMedium, Snapshot, Unit, find_devices, find_media, lock_and_read
from itad.models.rowsets import RowStream, streaming
from itad.steps.transitions import _jsonable
from workflows.machine import MediumFacts, TransitionRefused, allowed_transitions, apply
from workflows.policy import Policy
from workflows.sampling import picked_by_rule

# Results applied between two inserts of their records and events: small enough that the server's
# last chunk is short, large enough that each statement's fixed cost is spread. The first chunk is
# smaller: the server waits for it, idle, so the sooner it goes the sooner the writing overlaps.
_CHUNK = 1000
_FIRST_CHUNK = 250

def apply_wipes(session: Session, actor: User, items: list[dict[str, Any]], *, source: str = "bulk",
                report_sha256: str | None = None, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Apply wipe results; returns one {index, status, reason, medium_id, device_id, state} per item.

    Each item: medium_id or medium_serial (optionally batch_id; with device_id, a serial that is not among
    the device's media is a drive found at the bench: added with media_type, medium_model,
    medium_manufacturer and capacity_bytes, and reported with medium_added), method, technique, result,
    hidden_areas, verified_by_tool, tool, tool_version, passes, started_at, finished_at, and an
    optional "evidence" dict and "index" (its position in the caller's list).
    """
    session.flush()         # the snapshot is read by Core statements, which do not autoflush
    found = find_media(session, items, batch_id)
    named = find_devices(session, items, batch_id)
    snap = lock_and_read(session, found, named)
    return _apply(session, actor, items, snap, source, report_sha256)


def _apply(session: Session, actor: User, items: list[dict[str, Any]], snap: Snapshot, source: str,
           report_sha256: str | None) -> list[dict[str, Any]]:
    by_id, unit_of = snap.by_id, snap.unit
    by_serial: dict[str, list] = {}
    for r in by_id.values():
        if r.serial:
            by_serial.setdefault(r.serial.strip().upper(), []).append(r)
    now = utcnow()
    records, events, results = [], [], []
    pending: dict[int, Unit] = {}                       # changed devices not written yet
    media_updates: dict[int, dict[int, dict]] = {}      # device id -> medium id -> its new state
    last = _last_touches(items, by_id, by_serial)
    shared = {"report_sha256": report_sha256, "source": source}
    chunk = min(_FIRST_CHUNK, _CHUNK)
    # Read once: the ORM instance's attributes are descriptors, read several times per result.
    actor = _Actor(actor.id, actor.name)
    verdicts = _Verdicts()
    with _streamed(session) as stream:
        for position, item in enumerate(items):
            index = item.get("index", position)
            if item.get("device_id") is not None:
                medium, reason = _resolve_in_device(item, snap)
            else:
                medium, reason = _resolve(item, by_id, by_serial)
            if medium is None:
                named = unit_of(item.get("device_id"))
                results.append({"index": index, "status": "rejected", "reason": reason, "medium_added": False,
                                **({"device_id": named.id, "state": named.facts.state} if named else {})})
                continue
            unit = unit_of(medium.device_id)
            policy = snap.policies[unit.batch_id]
            head = snap.heads[unit.batch_id]
            added = isinstance(medium, NewMedium)
            if added:
                _add_medium(session, unit, medium, item, snap, now)
            try:
                outcome = apply(unit.facts, "sanitize", actor.id, policy, medium_id=medium.id,
                                method=item.get("method"), technique=item.get("technique"),
                                result=item.get("result") or "erased", hidden_areas=item.get("hidden_areas"),
                                verified_by_tool=item.get("verified_by_tool"))
            except TransitionRefused as exc:
                if added:
                    _drop_medium(session, unit, medium, snap)
                results.append({"index": index, "status": "rejected", "reason": str(exc),
                                "medium_id": None if added else medium.id, "device_id": unit.id, "state": exc.state,
                                "needs": list(exc.needs), "medium_added": False})
                continue
            if added:
                events.append(custody.build_event(
                    head, device_id=unit.id, actor=actor, action="medium_added",
                    from_state=unit.facts.state, to_state=unit.facts.state, created_at=now,
                    evidence={"medium_id": medium.id, "serial": medium.serial, "media_type": medium.media_type}))
            verdict = outcome.assessment
            claimed, method, result, reasons, reason = verdicts.values(verdict)
            after = outcome.changed_media[0]
            required = _required(policy, unit.batch_id, after.id, method, snap.sampled, after.state == "sanitized")
            if after.verification_required != required:
                after = replace(after, verification_required=required)
                unit.facts = replace(outcome.device, media=tuple(after if m.id == after.id else m
                                                                  for m in outcome.device.media))
            else:
                unit.facts = outcome.device
            pending[unit.id] = unit
            media_updates.setdefault(unit.id, {})[after.id] = {"id": after.id, "state": after.state,
                                                               "failed_wipes": after.failed_wipes}
            attempt = snap.attempts[after.id] = snap.attempts.get(after.id, 0) + 1
            records.append({
                "medium_id": after.id, "device_id": unit.id, "batch_id": unit.batch_id, "attempt": attempt,
                "claimed_method": claimed, "effective_method": method,
                "decision": verdict.decision, "technique": verdict.technique, "tool": item.get("tool"),
                "tool_version": item.get("tool_version"), "passes": item.get("passes"),
                "started_at": item.get("started_at"), "finished_at": item.get("finished_at"),
                "tool_verified": item.get("verified_by_tool"), "hidden_areas": item.get("hidden_areas"),
                "result": result, "reasons": reasons, "verification_required": required, "operator_id": actor.id,
                "operator_label": actor.name, "report_sha256": report_sha256, "source": source, "created_at": now})
            evidence = {**outcome.evidence, "tool": item.get("tool"), "tool_version": item.get("tool_version"),
                        "passes": item.get("passes"), **shared}
            if item.get("evidence"):
                evidence = _jsonable({**item["evidence"], **evidence})
            events.append(custody.build_event(head, device_id=unit.id, actor=actor, action="sanitize",
                                              from_state=outcome.from_state, to_state=outcome.to_state,
                                              evidence=evidence, created_at=now))
            if outcome.to_state == "sanitized" and policy.verification != "all" \
                    and "skip_verification" in allowed_transitions(unit.facts, policy, actor.id):
                skipped = apply(unit.facts, "skip_verification", actor.id, policy)
                unit.facts = skipped.device
                events.append(custody.build_event(
                    head, device_id=unit.id, actor=actor, action="skip_verification",
                    from_state=skipped.from_state, to_state=skipped.to_state, created_at=now,
                    evidence={"reason": "the policy's sampling picked none of this device's media"}))
            results.append({"index": index, "status": "applied", "reason": reason,
                            "medium_id": after.id, "device_id": unit.id, "state": unit.facts.state,
                            "medium_added": added})
            if len(records) >= chunk:
                done = [u for u in pending.values() if last.get(u.id, len(items)) <= position]
                _send(stream, records, events, done, media_updates, now)
                records, events, chunk = [], [], _CHUNK
                for u in done:
                    del pending[u.id]
        _send(stream, records, events, list(pending.values()), media_updates, now)
    # The ORM may hold these rows from earlier in the request: make it read them again.
    session.expire_all()
    return results


class _Actor(NamedTuple):
    """Who applies the results, as custody.build_event and the records read it."""

    id: int
    name: str


class _Verdicts:
    """Each distinct verdict's column values, worked out once: assess() returns the same Assessment for
    the same claim, so a station's 10,000 results share a handful. Keyed by identity (the verdict is
    held, so its id cannot be reused while the request runs); an enum's `.value` is a descriptor call."""

    def __init__(self):
        self._seen: dict[int, tuple] = {}

    def values(self, verdict) -> tuple[str, str, str, list[str], str | None]:
        """(claimed method, effective method, result, reasons, the reasons as one text or None)."""
        seen = self._seen.get(id(verdict))
        if seen is None or seen[0] is not verdict:
            seen = self._seen[id(verdict)] = (verdict, verdict.claimed_method.value, verdict.effective_method.value,
                                              verdict.result.value, list(verdict.reasons),
                                              "; ".join(verdict.reasons) or None)
        return seen[1:]


def _resolve_in_device(item: dict, snap: Snapshot):
    """The medium of an item that names its device: by id, by serial among the device's media, or else a
    drive found at the bench (a NewMedium, added when its wipe is applied, as the single path does)."""
    device_id = item["device_id"]
    unit = snap.unit(device_id)
    if unit is None or (item.get("batch_id") is not None and unit.batch_id != item["batch_id"]):
        return None, f"device {device_id} is not in an open batch" + \
            (f" (batch {item['batch_id']})" if item.get("batch_id") is not None else "")
    if item.get("medium_id") is not None:
        row = snap.by_id.get(item["medium_id"])
        if row is None or row.device_id != device_id:
            return None, f"medium {item['medium_id']} is not in device {device_id}"
        return row, None
    serial = item["medium_serial"].strip()
    for m in snap.media.get(device_id, []):
        if (m.serial or "").strip().upper() == serial.upper():
            return m, None
    if unit.facts.state != "received":
        return None, (f"device {device_id} is {unit.facts.state}: a drive found at the bench (serial {serial}) "
                      f"can be added only while the device is received")
    return NewMedium(None, device_id, serial, (item.get("media_type") or "unknown").lower()), None


def _add_medium(session: Session, unit: Unit, new: NewMedium, item: dict, snap: Snapshot, now):
    """Insert the drive now: the machine, the record and the sampling draw need its id."""
    t = StorageMedium.__table__
    new.id = session.execute(t.insert().returning(t.c.id), {
        "device_id": unit.id, "serial": new.serial, "media_type": new.media_type,
        "manufacturer": item.get("medium_manufacturer"), "model": item.get("medium_model"),
        "capacity_bytes": item.get("capacity_bytes"), "source": "bench", "state": "pending",
        "failed_wipes": 0, "created_at": now}).scalar_one()
    snap.media.setdefault(unit.id, []).append(MediumRow(new.id, unit.id, unit.batch_id, new.serial))
    unit.facts = replace(unit.facts, media=unit.facts.media + (MediumFacts(id=new.id, media_type=new.media_type),))


def _drop_medium(session: Session, unit: Unit, new: NewMedium, snap: Snapshot) -> None:
    """Its wipe was refused: each item stands alone, so the drive is not kept either."""
    t = StorageMedium.__table__
    session.execute(t.delete().where(t.c.id == new.id))
    snap.media[unit.id] = [m for m in snap.media[unit.id] if m.id != new.id]
    unit.facts = replace(unit.facts, media=tuple(m for m in unit.facts.media if m.id != new.id))


def _resolve(item: dict, by_id: dict, by_serial: dict):
    if item.get("medium_id") is not None:
        row = by_id.get(item["medium_id"])
        if row is None or (item.get("batch_id") is not None and row.batch_id != item["batch_id"]):
            return None, f"medium {item['medium_id']} is not in an open batch" + \
                (f" (batch {item['batch_id']})" if item.get("batch_id") is not None else "")
        return row, None
    serial = item["medium_serial"].strip()
    rows = by_serial.get(serial.upper(), [])
    if item.get("batch_id") is not None:
        rows = [r for r in rows if r.batch_id == item["batch_id"]]
    if not rows:
        return None, (f"no medium with serial {serial} in an open batch (a drive found at the bench: "
                      f"give its device_id to add it)")
    if len(rows) > 1:
        return None, (f"serial {serial} names {len(rows)} media (batches "
                      f"{', '.join(str(r.batch_id) for r in rows)}); give batch_id or medium_id")
    return rows[0], None


def _required(policy: Policy, batch_id: int, medium_id: int, method: str, sampled: dict[int, bool],
              passed: bool) -> bool:
    """Same rule as verifying.verification_required, with the batch's 'already picked' kept in memory
    (only a wipe that passed uses up the pick: a failed one leaves nothing to verify)."""
    if picked_by_rule(policy, batch_id, medium_id, method) or not sampled[batch_id]:
        sampled[batch_id] = sampled[batch_id] or passed
        return True
    return False


def _last_touches(items: list[dict], by_id: dict, by_serial: dict) -> dict[int, int]:
    """{device id: position of the last item that may change it}: after that item its row can be written.
    Generous where an item is ambiguous (a serial several media share): a later write is only later."""
    last: dict[int, int] = {}
    for position, item in enumerate(items):
        if item.get("device_id") is not None:
            last[item["device_id"]] = position
        elif item.get("medium_id") is not None:
            if item["medium_id"] in by_id:
                last[by_id[item["medium_id"]].device_id] = position
        else:
            for r in by_serial.get((item.get("medium_serial") or "").strip().upper(), ()):
                last[r.device_id] = position
    return last


def _send(stream: RowStream, records: list, events: list, done: list[Unit], media_updates: dict, now) -> None:
    """A chunk's records and events, then the devices no later item changes, and their media: each device
    written once, so its version moves by one per request, as one step would move it."""
    stream.insert(SanitizationRecord.__table__, records)
    stream.insert(CustodyEvent.__table__, events)
    stream.update(StorageMedium.__table__, [row for u in done for row in media_updates.pop(u.id).values()])
    device = Device.__table__
    # Cannot happen with the rows locked; never silently.
    stream.update(device, [{"id": u.id, "version": u.version, "state": u.facts.state, "updated_at": now}
                           for u in done],
                  match=("version",), extra={"version": device.c.version + 1},
                  conflict=Conflict("Devices changed while the results were applied; retry.",
                                    code="concurrent_update"))


@contextlib.contextmanager
def _streamed(session: Session):
    """Rows written chunk by chunk while the next chunk is applied."""
    # The unique (batch_id, seq) constraint is the last line of defence: custody.refusing_races.
    with custody.refusing_races(session), streaming(session) as stream:
        yield stream
