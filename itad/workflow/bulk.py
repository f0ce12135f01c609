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
from itad.workflow.verifying import batch_pick_stands
from workflows.machine import DeviceFacts, MediumFacts, TransitionRefused, allowed_transitions, apply
from workflows.policy import Policy
from workflows.sampling import picked_by_rule

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


@dataclass
class _MediumRow:
    id: int
    device_id: int
    media_type: str
    state: str
    failed_wipes: int
    serial: str | None


@dataclass
class _NewMedium:
    """A drive named by serial in a device whose media do not include it; id set once it is inserted."""

    id: int | None
    device_id: int
    serial: str
    media_type: str


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
    # An item that names its device is matched among that device's media (_resolve_in_device).
    serials = sorted({it["medium_serial"].strip().upper() for it in items
                      if it.get("medium_id") is None and it.get("medium_serial") and it.get("device_id") is None})
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

    Each item: medium_id or medium_serial (optionally batch_id; with device_id, a serial that is not among
    the device's media is a drive found at the bench: added with media_type, medium_model,
    medium_manufacturer and capacity_bytes, and reported with medium_added), method, technique, result,
    hidden_areas, verified_by_tool, tool, tool_version, passes, started_at, finished_at, and an
    optional "evidence" dict and "index" (its position in the caller's list).
    """
    found = _find_media(session, items, batch_id)
    named = _find_devices(session, items, batch_id)
    by_id = {r.id: r for r in found}
    by_serial: dict[str, list] = {}
    for r in {r.id: r for r in found}.values():
        if r.serial:
            by_serial.setdefault(r.serial.strip().upper(), []).append(r)
    batch_ids = sorted({r.batch_id for r in found} | set(named.values()))
    device_ids = sorted({r.device_id for r in found} | set(named))

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
                                           StorageMedium.state, StorageMedium.failed_wipes, StorageMedium.serial)
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
        org = next((u.organization_id for u in units.values() if u.batch_id == bid), None)
        if org is None:
            continue
        policies[bid] = effective_policy(session, org, bid)
        heads[bid] = custody.chain_head(session, bid)
        sampled[bid] = batch_pick_stands(session, bid)
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
        if item.get("device_id") is not None:
            medium, reason = _resolve_in_device(item, units, media_rows, by_id)
        else:
            medium, reason = _resolve(item, by_id, by_serial)
        if medium is None:
            named_unit = units.get(item.get("device_id"))
            results.append({"index": index, "status": "rejected", "reason": reason, "medium_added": False,
                            **({"device_id": named_unit.id, "state": named_unit.facts.state} if named_unit else {})})
            continue
        unit = units[medium.device_id]
        policy = policies[unit.batch_id]
        added = isinstance(medium, _NewMedium)
        if added:
            _add_medium(session, unit, medium, item, media_rows, now)
        try:
            outcome = apply(unit.facts, "sanitize", actor.id, policy, medium_id=medium.id,
                            method=item.get("method"), technique=item.get("technique"),
                            result=item.get("result") or "erased", hidden_areas=item.get("hidden_areas"),
                            verified_by_tool=item.get("verified_by_tool"))
        except TransitionRefused as exc:
            if added:
                _drop_medium(session, unit, medium, media_rows)
            results.append({"index": index, "status": "rejected", "reason": str(exc),
                            "medium_id": None if added else medium.id, "device_id": unit.id, "state": exc.state,
                            "needs": list(exc.needs), "medium_added": False})
            continue
        if added:
            events.append(custody.build_event(
                heads[unit.batch_id], device_id=unit.id, actor=actor, action="medium_added",
                from_state=unit.facts.state, to_state=unit.facts.state, created_at=now,
                evidence={"medium_id": medium.id, "serial": medium.serial, "media_type": medium.media_type}))
        verdict = outcome.assessment
        after = outcome.changed_media[0]
        method = verdict.effective_method.value
        required = _required(policy, unit.batch_id, medium.id, method, sampled, after.state == "sanitized")
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
                        "medium_id": after.id, "device_id": unit.id, "state": unit.facts.state,
                        "medium_added": added})

    _write(session, records, list(media_updates.values()), [u for u in units.values() if u.dirty], events, now)
    return results


def _find_devices(session: Session, items: list[dict], batch_id: int | None) -> dict[int, int]:
    """{device id: batch id} of the open-batch devices items name by device_id (drives found at the bench)."""
    ids = sorted({it["device_id"] for it in items if it.get("device_id") is not None})
    if not ids:
        return {}
    stmt = sa.select(Device.id, Device.batch_id).join(Batch, Batch.id == Device.batch_id) \
        .where(Batch.status == "open", _among(session, Device.id, ids))
    if batch_id is not None:
        stmt = stmt.where(Device.batch_id == batch_id)
    return dict(session.execute(stmt).all())


def _resolve_in_device(item: dict, units: dict[int, _Unit], media_rows: dict[int, list], by_id: dict):
    """The medium of an item that names its device: by id, by serial among the device's media, or else a
    drive found at the bench (a _NewMedium, added when its wipe is applied, as the single path does)."""
    device_id = item["device_id"]
    unit = units.get(device_id)
    if unit is None or (item.get("batch_id") is not None and unit.batch_id != item["batch_id"]):
        return None, f"device {device_id} is not in an open batch" + \
            (f" (batch {item['batch_id']})" if item.get("batch_id") is not None else "")
    if item.get("medium_id") is not None:
        row = by_id.get(item["medium_id"])
        if row is None or row.device_id != device_id:
            return None, f"medium {item['medium_id']} is not in device {device_id}"
        return row, None
    serial = item["medium_serial"].strip()
    for m in media_rows.get(device_id, []):
        if (m.serial or "").strip().upper() == serial.upper():
            return _MediumRow(m.id, device_id, m.media_type, m.state, m.failed_wipes, m.serial), None
    if unit.facts.state != "received":
        return None, (f"device {device_id} is {unit.facts.state}: a drive found at the bench (serial {serial}) "
                      f"can be added only while the device is received")
    return _NewMedium(None, device_id, serial, (item.get("media_type") or "unknown").lower()), None


def _add_medium(session: Session, unit: _Unit, new: _NewMedium, item: dict, media_rows: dict[int, list], now):
    """Insert the drive now: the machine, the record and the sampling draw need its id."""
    t = StorageMedium.__table__
    new.id = session.execute(t.insert().returning(t.c.id), {
        "device_id": unit.id, "serial": new.serial, "media_type": new.media_type,
        "manufacturer": item.get("medium_manufacturer"), "model": item.get("medium_model"),
        "capacity_bytes": item.get("capacity_bytes"), "source": "bench", "state": "pending",
        "failed_wipes": 0, "created_at": now}).scalar_one()
    media_rows.setdefault(unit.id, []).append(_MediumRow(new.id, unit.id, new.media_type, "pending", 0, new.serial))
    unit.facts = replace(unit.facts, media=unit.facts.media + (MediumFacts(id=new.id, media_type=new.media_type),))


def _drop_medium(session: Session, unit: _Unit, new: _NewMedium, media_rows: dict[int, list]) -> None:
    """Its wipe was refused: each item stands alone, so the drive is not kept either."""
    t = StorageMedium.__table__
    session.execute(t.delete().where(t.c.id == new.id))
    media_rows[unit.id] = [m for m in media_rows[unit.id] if m.id != new.id]
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
