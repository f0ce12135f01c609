"""Many wipe results at once (an erasure station's export, an nwipe log): each applied or rejected alone.

The single-result path costs a dozen queries per wipe; 10,000 results that way would take minutes.
Here the affected batches and devices are locked and loaded in a few queries, every result goes
through the same machine (workflows.machine.apply) in memory, in order, so two results for one
device see each other, and the rows are written with Core executemany: records, medium states,
device states (version bumped) and the custody events, whose hash chain is computed in memory from
each locked batch's head.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from itad.errors import Conflict
from itad.models import Batch, CustodyEvent, Device, SanitizationRecord, StorageMedium, User, utcnow
from itad.workflow import custody
from itad.workflow.policies import effective_policy
from itad.workflow.transitions import _jsonable
from workflows.machine import DeviceFacts, MediumFacts, TransitionRefused, allowed_transitions, apply
from workflows.policy import Policy
from workflows.sampling import draw

_RECORD_KEYS = ("tool", "tool_version", "passes", "started_at", "finished_at")


@dataclass
class _Unit:
    """A locked device and its media, as the machine sees them while the batch of results is applied."""

    id: int
    batch_id: int
    organization_id: int
    category: str | None
    version: int
    facts: DeviceFacts
    from_state: str
    dirty: bool = False


def _chunks(values: list, size: int = 5000):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _among(session: Session, column, values: list, item_type=sa.Integer):
    """column IN values: one array parameter on PostgreSQL (10,000 bound parameters cost more than the query)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(item_type)))
    return column.in_(values)


def _find_media(session: Session, items: list[dict], batch_id: int | None) -> dict[str, list[tuple]]:
    """(medium id, serial, device id, batch id) of every open-batch medium an item names."""
    ids = sorted({it["medium_id"] for it in items if it.get("medium_id") is not None})
    serials = sorted({it["medium_serial"].strip().upper() for it in items
                      if it.get("medium_id") is None and it.get("medium_serial")})
    cols = (StorageMedium.id, StorageMedium.serial, StorageMedium.device_id, Device.batch_id)
    base = sa.select(*cols).join(Device, Device.id == StorageMedium.device_id) \
        .join(Batch, Batch.id == Device.batch_id).where(Batch.status == "open")
    if batch_id is not None:
        base = base.where(Device.batch_id == batch_id)
    rows = []
    for chunk in _chunks(ids, 50_000 if session.get_bind().dialect.name == "postgresql" else 5000):
        rows += session.execute(base.where(_among(session, StorageMedium.id, chunk))).all()
    for chunk in _chunks(serials):
        rows += session.execute(base.where(_among(session, sa.func.upper(StorageMedium.serial), chunk, sa.String))).all()
    return rows


def apply_wipes(session: Session, actor: User, items: list[dict[str, Any]], *, source: str = "bulk",
                report_sha256: str | None = None, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Apply wipe results; returns one {index, status, reason, medium_id, device_id, state} per item.

    Each item: medium_id or medium_serial (optionally batch_id), method, technique, result,
    hidden_areas, verified_by_tool, tool, tool_version, passes, started_at, finished_at, and an
    optional "evidence" dict and "index" (its position in the caller's list).
    """
    found = _find_media(session, items, batch_id)
    by_id = {r.id: r for r in found}
    by_serial: dict[str, list] = {}
    for r in {r.id: r for r in found}.values():
        if r.serial:
            by_serial.setdefault(r.serial.strip().upper(), []).append(r)
    batch_ids = sorted({r.batch_id for r in found})
    device_ids = sorted({r.device_id for r in found})

    # Lock in the same order as the single path (batch, then device) so the two never deadlock.
    for chunk in _chunks(batch_ids):
        session.execute(sa.select(Batch.id).where(Batch.id.in_(chunk)).order_by(Batch.id).with_for_update()).all()
    units: dict[int, _Unit] = {}
    media_rows: dict[int, list] = {}
    for chunk in _chunks(device_ids):
        for d in session.execute(sa.select(Device.id, Device.batch_id, Device.organization_id, Device.category,
                                           Device.state, Device.version)
                                 .where(_among(session, Device.id, chunk)).order_by(Device.id).with_for_update()):
            units[d.id] = _Unit(d.id, d.batch_id, d.organization_id, d.category, d.version,
                                DeviceFacts(state=d.state, id=d.id), d.state)
        for m in session.execute(sa.select(StorageMedium.id, StorageMedium.device_id, StorageMedium.media_type,
                                           StorageMedium.state, StorageMedium.failed_wipes)
                                 .where(_among(session, StorageMedium.device_id, chunk)).order_by(StorageMedium.id)):
            media_rows.setdefault(m.device_id, []).append(m)
    last: dict[int, Any] = {}
    for chunk in _chunks(device_ids):
        for r in session.execute(sa.select(SanitizationRecord.medium_id, SanitizationRecord.attempt,
                                           SanitizationRecord.verification_required, SanitizationRecord.operator_id,
                                           SanitizationRecord.effective_method)
                                 .where(_among(session, SanitizationRecord.device_id, chunk))
                                 .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)):
            last[r.medium_id] = r

    policies: dict[int, Policy] = {}
    heads: dict[int, custody.ChainHead] = {}
    sampled: dict[int, bool] = {}   # batch id -> a wipe of it is already picked for verification
    for bid in batch_ids:
        org = next(u.organization_id for u in units.values() if u.batch_id == bid)
        policies[bid] = effective_policy(session, org, bid)
        heads[bid] = custody.chain_head(session, bid)
        sampled[bid] = session.scalar(sa.select(SanitizationRecord.id).where(
            SanitizationRecord.batch_id == bid, SanitizationRecord.verification_required.is_(True)).limit(1)) is not None
    for unit in units.values():
        policy = policies[unit.batch_id]
        media = tuple(MediumFacts(id=m.id, media_type=m.media_type, state=m.state, failed_wipes=m.failed_wipes,
                                  method=last[m.id].effective_method if m.id in last else None,
                                  sanitized_by=last[m.id].operator_id if m.id in last else None,
                                  verification_required=last[m.id].verification_required if m.id in last else True)
                      for m in media_rows.get(unit.id, []))
        unit.facts = replace(unit.facts, media=media, data_bearing=policy.is_data_bearing(unit.category))

    now = utcnow()
    attempts = {mid: r.attempt for mid, r in last.items()}
    records, events, media_updates, results = [], [], {}, []
    for position, item in enumerate(items):
        index = item.get("index", position)
        medium, reason = _resolve(item, by_id, by_serial)
        if medium is None:
            results.append({"index": index, "status": "rejected", "reason": reason})
            continue
        unit = units[medium.device_id]
        policy = policies[unit.batch_id]
        try:
            outcome = apply(unit.facts, "sanitize", actor.id, policy, medium_id=medium.id,
                            method=item.get("method"), technique=item.get("technique"),
                            result=item.get("result") or "erased", hidden_areas=item.get("hidden_areas"),
                            verified_by_tool=item.get("verified_by_tool"))
        except TransitionRefused as exc:
            results.append({"index": index, "status": "rejected", "reason": str(exc), "medium_id": medium.id,
                            "device_id": unit.id, "state": exc.state, "needs": list(exc.needs)})
            continue
        verdict = outcome.assessment
        after = outcome.changed_media[0]
        method = verdict.effective_method.value
        required = _required(policy, unit.batch_id, medium.id, method, sampled)
        after = replace(after, verification_required=required)
        new_media = tuple(after if m.id == after.id else m for m in outcome.device.media)
        unit.facts = replace(outcome.device, media=new_media)
        unit.dirty = True
        media_updates[after.id] = {"b_id": after.id, "b_state": after.state, "b_failed": after.failed_wipes}
        attempts[after.id] = attempts.get(after.id, 0) + 1
        records.append({
            "medium_id": after.id, "device_id": unit.id, "batch_id": unit.batch_id, "attempt": attempts[after.id],
            "claimed_method": verdict.claimed_method.value, "effective_method": method,
            "decision": verdict.decision, "technique": verdict.technique,
            **{k: item.get(k) for k in _RECORD_KEYS}, "tool_verified": item.get("verified_by_tool"),
            "hidden_areas": item.get("hidden_areas"), "result": verdict.result.value,
            "reasons": list(verdict.reasons), "verification_required": required, "operator_id": actor.id,
            "operator_label": actor.name, "report_sha256": report_sha256, "source": source, "created_at": now})
        evidence = {**outcome.evidence, "tool": item.get("tool"), "tool_version": item.get("tool_version"),
                    "passes": item.get("passes"), "report_sha256": report_sha256, "source": source}
        if item.get("evidence"):
            evidence = _jsonable({**item["evidence"], **evidence})
        events.append(custody.build_event(heads[unit.batch_id], device_id=unit.id, actor=actor, action="sanitize",
                                          from_state=outcome.from_state, to_state=outcome.to_state,
                                          evidence=evidence, created_at=now))
        if outcome.to_state == "sanitized" and policy.verification != "all" \
                and "skip_verification" in allowed_transitions(unit.facts, policy, actor.id):
            skipped = apply(unit.facts, "skip_verification", actor.id, policy)
            unit.facts = skipped.device
            events.append(custody.build_event(
                heads[unit.batch_id], device_id=unit.id, actor=actor, action="skip_verification",
                from_state=skipped.from_state, to_state=skipped.to_state, created_at=now,
                evidence={"reason": "the policy's sampling picked none of this device's media"}))
        results.append({"index": index, "status": "applied", "reason": "; ".join(verdict.reasons) or None,
                        "medium_id": after.id, "device_id": unit.id, "state": unit.facts.state})

    _write(session, records, list(media_updates.values()), [u for u in units.values() if u.dirty], events, now)
    return results


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
        return None, f"no medium with serial {serial} in an open batch"
    if len(rows) > 1:
        return None, (f"serial {serial} names {len(rows)} media (batches "
                      f"{', '.join(str(r.batch_id) for r in rows)}); give batch_id or medium_id")
    return rows[0], None


def _required(policy: Policy, batch_id: int, medium_id: int, method: str, sampled: dict[int, bool]) -> bool:
    """Same rule as verifying.verification_required, with the batch's 'already picked' kept in memory."""
    if policy.verification == "all" or (method == "clear" and policy.verify_all_cleared) \
            or draw(batch_id, medium_id) < policy.sample_percent / 100 or not sampled[batch_id]:
        sampled[batch_id] = True
        return True
    return False


def _write(session: Session, records: list, media_updates: list, units: list[_Unit], events: list, now) -> None:
    if session.get_bind().dialect.name == "postgresql":
        _write_postgres(session, records, media_updates, units, events, now)
    else:
        _write_portable(session, records, media_updates, units, events, now)
    # The ORM may hold these rows from earlier in the request: make it read them again.
    session.expire_all()


def _write_portable(session: Session, records: list, media_updates: list, units: list[_Unit], events: list, now):
    if records:
        session.execute(sa.insert(SanitizationRecord.__table__), records)
    if media_updates:
        t = StorageMedium.__table__
        session.execute(sa.update(t).where(t.c.id == sa.bindparam("b_id"))
                        .values(state=sa.bindparam("b_state"), failed_wipes=sa.bindparam("b_failed")),
                        media_updates)
    if units:
        t = Device.__table__
        session.execute(sa.update(t).where(t.c.id == sa.bindparam("b_id"), t.c.version == sa.bindparam("b_version"))
                        .values(state=sa.bindparam("b_state"), version=t.c.version + 1, updated_at=now),
                        [{"b_id": u.id, "b_version": u.version, "b_state": u.facts.state} for u in units])
    custody.append_many(session, events)


def _copy(cursor, table, rows: list[dict]) -> None:
    from psycopg.types.json import Jsonb

    if not rows:
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_columns = {name for name in columns if name in ("evidence", "reasons")}
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c]
                            for c in columns])


def _write_postgres(session: Session, records: list, media_updates: list, units: list[_Unit], events: list, now):
    """COPY for the new rows, one UPDATE ... FROM unnest(arrays) per table: a handful of round trips."""
    cursor = session.connection().connection.dbapi_connection.cursor()
    _copy(cursor, SanitizationRecord.__table__, records)
    if media_updates:
        cursor.execute(
            "UPDATE storage_medium AS m SET state = v.state, failed_wipes = v.failed "
            "FROM unnest(%s::int[], %s::text[], %s::int[]) AS v(id, state, failed) WHERE m.id = v.id",
            ([u["b_id"] for u in media_updates], [u["b_state"] for u in media_updates],
             [u["b_failed"] for u in media_updates]))
    if units:
        cursor.execute(
            "UPDATE device AS d SET state = v.state, version = d.version + 1, updated_at = %s "
            "FROM unnest(%s::int[], %s::text[], %s::int[]) AS v(id, state, version) "
            "WHERE d.id = v.id AND d.version = v.version",
            (now, [u.id for u in units], [u.facts.state for u in units], [u.version for u in units]))
        if cursor.rowcount != len(units):  # cannot happen with the rows locked; never silently
            raise Conflict("Devices changed while the results were applied; retry.", code="concurrent_update")
    try:
        _copy(cursor, CustodyEvent.__table__, events)
    except Exception as exc:  # the unique (batch_id, seq) constraint: the last line of defence
        if "uq_custody_event_batch_seq" in str(exc):
            raise Conflict("Another request appended to this batch's custody log at the same time; retry.",
                           code="custody_race") from None
        raise
