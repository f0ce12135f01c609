"""Recording wipes of storage media, as the technician or the tool reports them: one at the bench, or
thousands at once (an erasure station's export, an nwipe log).

Both go the same way: the media named are found, their devices locked and read (itad.steps.held),
each wipe planned (itad.steps.planning: the machine's `sanitize`, the sampling draw, the skip of
verification a sampled-out device earns, the custody events) and written (itad.steps.writing). A drive
found at the bench that was not on the list is added to its device first. They differ in what they
answer: one wipe refused is the request refused (422 for a claim the policy refuses, 409 for a step
the state forbids); among many, each result is applied or rejected alone, with its reason, and the
rows are streamed to the database a chunk at a time while the next chunk is planned.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from certificates.storage import Storage
from itad.errors import Invalid
from itad.models import Batch, Device, StorageMedium, User, utcnow
from itad.models.rowsets import streaming
from itad.steps import custody
from itad.steps.applying import actor_of, hold, plan_or_refuse
from itad.steps.held import Held, HeldDevice, HeldMedium, among, chunks, lock
from itad.steps.planning import DRIVE_FACTS, UNKNOWN, Planned, Step, describe, plan, typed
from itad.steps.writing import write
from workflows.machine import MediumFacts, TransitionRefused, apply
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


_CLAIM = tuple(f.name for f in fields(WipeClaim))


def claim_from(data: dict[str, Any]) -> WipeClaim:
    return WipeClaim(**{k: v for k, v in data.items() if k in _CLAIM})


@dataclass
class Recorded:
    record: dict[str, Any]          # the wipe record's row, id included
    planned: Planned
    medium_added: bool


def wipe_step(item: dict[str, Any], medium_id: int, *, source: str, report_sha256: str | None) -> Step:
    """The `sanitize` step for a wipe as reported (a WipeClaim's fields, or a bulk item's, with an optional
    "evidence" dict from the tool's report)."""
    evidence = {**(item.get("evidence") or {}), "tool": item.get("tool"), "tool_version": item.get("tool_version"),
                "passes": item.get("passes"), "report_sha256": report_sha256, "source": source}
    return Step("sanitize",
                {"medium_id": medium_id, "method": item.get("method"), "technique": item.get("technique"),
                 "result": item.get("result") or "erased", "hidden_areas": item.get("hidden_areas"),
                 "verified_by_tool": item.get("verified_by_tool")},
                evidence,
                {"tool": item.get("tool"), "tool_version": item.get("tool_version"), "passes": item.get("passes"),
                 "verified_by_tool": item.get("verified_by_tool"), "hidden_areas": item.get("hidden_areas"),
                 "started_at": item.get("started_at"), "finished_at": item.get("finished_at"),
                 "report_sha256": report_sha256, "source": source})


# ---------------------------------------------------------------- one wipe

def record_sanitization(session: Session, actor: User, device_id: int, claim: WipeClaim, *,
                        report: bytes | None = None, store: Storage | None = None, source: str = "api",
                        expected_version: int | None = None) -> Recorded:
    held, device = hold(session, actor, device_id, expected_version=expected_version, action="sanitize")
    medium_id, added, _ = _medium_at_the_bench(session, held, device, vars(claim), refuse=True)
    now = utcnow()
    plans = []
    if medium_id is not None and not added:     # what the wipe says of a listed drive fills its unknowns
        described = describe(held, device, medium_id, vars(claim), actor_of(actor), now, source=source)
        plans += [described] if described else []
    if medium_id is not None and device.facts.state == "received":
        _judge(held, device, medium_id, claim)
    digest = store.put(report) if report and store else None
    step = wipe_step(vars(claim), medium_id if medium_id is not None else claim.medium_id, source=source,
                     report_sha256=digest)
    planned = plan_or_refuse(held, device, step, actor, now, medium_added=added)
    write(session, [*plans, planned], [device], now)
    return Recorded(planned.record[1], planned, added)


def _judge(held: Held, device: HeldDevice, medium_id: int, claim: WipeClaim) -> None:
    """A claim the policy refuses is a 422 with the reasons (the machine would refuse it as a 409)."""
    policy = held.batch_of(device).policy
    medium = device.facts.medium(medium_id)
    try:
        verdict = assess(medium.media_type, claim.method, claim.technique, tool_result=claim.result,
                         hidden_areas=claim.hidden_areas, verified_by_tool=claim.verified_by_tool,
                         minimum=policy.minimum_method)
    except ValueError as exc:
        raise Invalid(str(exc), code="invalid_method", details={"state": device.facts.state}) from None
    if not verdict.accepted:
        raise Invalid(f"The wipe record for medium {medium_id} is refused: " + "; ".join(verdict.reasons),
                      code="sanitization_refused",
                      details={"state": device.facts.state, "medium_id": medium_id, "reasons": list(verdict.reasons),
                               "claimed_method": verdict.claimed_method.value,
                               "effective_method": verdict.effective_method.value if verdict.effective_method else None,
                               "minimum_method": policy.minimum_method.value,
                               "needs": ["a technique that reaches the policy minimum on this medium, or destroy"]})


def _medium_at_the_bench(session: Session, held: Held, device: HeldDevice, item: dict, *,
                         refuse: bool) -> tuple[int | None, bool, str | None]:
    """(the medium the wipe is of, whether it was added now, why there is none): by id, by serial among the
    device's media, a drive found at the bench (added while the device is received), or the device's only
    medium. A medium that cannot be: refuse -> 422, else (None, False, the reason)."""
    medium_id = item.get("medium_id")
    if medium_id is not None:
        if medium_id in device.media:
            return medium_id, False, None
        if refuse:
            device.require_medium(medium_id)
        return None, False, f"medium {medium_id} is not in device {device.id}"
    serial = (item.get("medium_serial") or "").strip()
    if not serial:
        only = list(device.media)
        return (only[0] if len(only) == 1 else None), False, None   # none or several: the machine asks which
    for mid, medium in device.media.items():
        if (medium.serial or "").strip().upper() == serial.upper():
            return mid, False, None
    if device.facts.state != "received":
        # Nothing is added; at the bench the machine refuses with the device's state.
        return None, False, (f"device {device.id} is {device.facts.state}: a drive found at the bench (serial "
                             f"{serial}) can be added only while the device is received")
    return _add_medium(session, held, device, serial, item), True, None


def _add_medium(session: Session, held: Held, device: HeldDevice, serial: str, item: dict) -> int:
    """Insert the drive now: the machine, the record and the sampling draw need its id."""
    media_type = (item.get("media_type") or "unknown").lower()
    t = StorageMedium.__table__
    medium_id = session.execute(t.insert().returning(t.c.id), {
        "device_id": device.id, "serial": serial, "media_type": media_type,
        "manufacturer": item.get("medium_manufacturer"), "model": item.get("medium_model"),
        "capacity_bytes": item.get("capacity_bytes"), "source": "bench", "state": "pending",
        "failed_wipes": 0, "created_at": utcnow()}).scalar_one()
    device.media[medium_id] = HeldMedium(serial, 0, None, item.get("medium_manufacturer"), item.get("medium_model"),
                                         item.get("capacity_bytes"))
    device.facts = device.facts.moved(device.facts.state,
                                      device.facts.media + (MediumFacts(id=medium_id, media_type=media_type),),
                                      device.facts.grade)
    _forget_media(session, device.id)
    return medium_id


def _drop_medium(session: Session, device: HeldDevice, medium_id: int) -> None:
    """Its wipe was refused: each result stands alone, so the drive is not kept either."""
    t = StorageMedium.__table__
    session.execute(t.delete().where(t.c.id == medium_id))
    del device.media[medium_id]
    device.facts = device.facts.moved(device.facts.state,
                                      tuple(m for m in device.facts.media if m.id != medium_id), device.facts.grade)


def _forget_media(session: Session, device_id: int) -> None:
    # A Device the session holds loads its media again when next read (the response lists them).
    device = session.identity_map.get(identity_key(Device, device_id))
    if device is not None:
        session.expire(device, ["media"])


# ---------------------------------------------------------------- many wipes

# Results planned between two writes of their rows: small enough that the server's last chunk is
# short, large enough that each statement's fixed cost is spread. The first chunk is smaller: the
# server waits for it, idle, so the sooner it goes the sooner the writing overlaps.
_CHUNK = 1000
_FIRST_CHUNK = 250


class _MediumRow(NamedTuple):
    id: int
    device_id: int
    batch_id: int
    serial: str | None


def apply_wipes(session: Session, actor: User, items: list[dict[str, Any]], *, source: str = "bulk",
                report_sha256: str | None = None, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Apply wipe results; returns one {index, status, reason, medium_id, device_id, state} per item.

    Each item: medium_id or medium_serial (optionally batch_id; with device_id, a serial that is not among
    the device's media is a drive found at the bench: added with media_type, medium_model,
    medium_manufacturer and capacity_bytes, and reported with medium_added), method, technique, result,
    hidden_areas, verified_by_tool, tool, tool_version, passes, started_at, finished_at, and an
    optional "evidence" dict and "index" (its position in the caller's list).
    """
    session.flush()
    found = _find_media(session, items, batch_id)
    named = _find_devices(session, items, batch_id)
    held = lock(session, {r.device_id for r in found.values()} | set(named))
    open_batches = {b.id for b in held.batches.values() if b.status == "open"}    # none closed since found
    found = {k: r for k, r in found.items() if r.batch_id in open_batches}
    by_serial: dict[str, list[_MediumRow]] = {}
    for r in found.values():
        if r.serial:
            by_serial.setdefault(r.serial.strip().upper(), []).append(r)
    last = _last_touches(items, found, by_serial)
    now = utcnow()
    who = actor_of(actor)
    results, plans = [], []
    pending: dict[int, HeldDevice] = {}              # devices changed and not written yet
    chunk = _FIRST_CHUNK
    with custody.refusing_races(session), streaming(session) as stream:
        for position, item in enumerate(items):
            index = item.get("index", position)
            device, medium_id, added, reason = _resolve(session, held, item, found, by_serial, open_batches)
            if medium_id is None:
                results.append({"index": index, "status": "rejected", "reason": reason, "medium_added": False,
                                **({"device_id": device.id, "state": device.facts.state} if device else {})})
                continue
            step = wipe_step(item, medium_id, source=source, report_sha256=report_sha256)
            try:
                if not added:           # what the result says of a listed drive fills its unknowns
                    _describe_if_accepted(held, device, medium_id, item, step, who, now, source, plans)
                planned = plan(held, device, step, who, now, medium_added=added)
            except TransitionRefused as exc:
                if added:
                    _drop_medium(session, device, medium_id)
                results.append({"index": index, "status": "rejected", "reason": str(exc),
                                "medium_id": None if added else medium_id, "device_id": device.id,
                                "state": exc.state, "needs": list(exc.needs), "medium_added": False})
                continue
            plans.append(planned)
            pending[device.id] = device
            verdict = planned.outcome.assessment
            results.append({"index": index, "status": "applied", "reason": "; ".join(verdict.reasons) or None,
                            "medium_id": medium_id, "device_id": device.id, "state": device.facts.state,
                            "medium_added": added})
            if len(plans) >= chunk:
                done = [d for d in pending.values() if last.get(d.id, len(items)) <= position]
                write(session, plans, done, now, stream=stream)
                plans, chunk = [], _CHUNK
                for d in done:
                    del pending[d.id]
            stream.check()
        write(session, plans, list(pending.values()), now, stream=stream)
    # The ORM may hold these rows from earlier in the request: make it read them again.
    session.expire_all()
    return results


def _describe_if_accepted(held: Held, device: HeldDevice, medium_id: int, item: dict, step: Step, who, now,
                          source: str, plans: list) -> None:
    """Fill the drive's unknown facts from the result, if the wipe will then be accepted (checked first on
    the facts it fills: a rejected result must leave the drive as it was). Raises TransitionRefused."""
    if all(item.get(key) in UNKNOWN for key in DRIVE_FACTS):
        return                  # the result says nothing of the drive (most do)
    apply(typed(device, medium_id, item) or device.facts, "sanitize", who.id, held.batch_of(device).policy,
          evidence=step.evidence, **step.facts)
    described = describe(held, device, medium_id, item, who, now, source=source)
    if described is not None:
        plans.append(described)


def _resolve(session: Session, held: Held, item: dict, found: dict[int, _MediumRow],
             by_serial: dict[str, list[_MediumRow]], open_batches: set[int]):
    """(the held device, the medium id, whether it was added now, None) or (device or None, None, False, why not)."""
    if item.get("device_id") is not None:
        device_id = item["device_id"]
        device = held.devices.get(device_id)
        if device is None or device.batch_id not in open_batches or \
                (item.get("batch_id") is not None and device.batch_id != item["batch_id"]):
            return None, None, False, f"device {device_id} is not in an open batch" + \
                (f" (batch {item['batch_id']})" if item.get("batch_id") is not None else "")
        return (device, *_medium_at_the_bench(session, held, device, item, refuse=False))
    if item.get("medium_id") is not None:
        row = found.get(item["medium_id"])
        if row is None or (item.get("batch_id") is not None and row.batch_id != item["batch_id"]):
            return None, None, False, f"medium {item['medium_id']} is not in an open batch" + \
                (f" (batch {item['batch_id']})" if item.get("batch_id") is not None else "")
        return held.devices[row.device_id], row.id, False, None
    serial = item["medium_serial"].strip()
    rows = by_serial.get(serial.upper(), [])
    if item.get("batch_id") is not None:
        rows = [r for r in rows if r.batch_id == item["batch_id"]]
    if not rows:
        return None, None, False, (f"no medium with serial {serial} in an open batch (a drive found at the bench: "
                            f"give its device_id to add it)")
    if len(rows) > 1:
        return None, None, False, (f"serial {serial} names {len(rows)} media (batches "
                            f"{', '.join(str(r.batch_id) for r in rows)}); give batch_id or medium_id")
    return held.devices[rows[0].device_id], rows[0].id, False, None


def _find_media(session: Session, items: list[dict], batch_id: int | None) -> dict[int, _MediumRow]:
    """{medium id: row} of every open-batch medium an item names by id, or by serial without its device."""
    ids = sorted({it["medium_id"] for it in items if it.get("medium_id") is not None})
    # An item that names its device is matched among that device's media (_medium_at_the_bench).
    serials = sorted({it["medium_serial"].strip().upper() for it in items
                      if it.get("medium_id") is None and it.get("medium_serial") and it.get("device_id") is None})
    base = sa.select(StorageMedium.id, StorageMedium.device_id, Device.batch_id, StorageMedium.serial) \
        .join(Device, Device.id == StorageMedium.device_id) \
        .join(Batch, Batch.id == Device.batch_id).where(Batch.status == "open")
    if batch_id is not None:
        base = base.where(Device.batch_id == batch_id)
    connection = session.connection()
    rows = []
    for chunk in chunks(ids, session):
        rows += connection.execute(base.where(among(session, StorageMedium.id, chunk))).all()
    for chunk in chunks(serials, session):
        rows += connection.execute(base.where(among(session, sa.func.upper(StorageMedium.serial), chunk,
                                                    sa.String))).all()
    return {r[0]: _MediumRow(*r) for r in rows}


def _find_devices(session: Session, items: list[dict], batch_id: int | None) -> set[int]:
    """The open-batch devices items name by device_id (drives found at the bench)."""
    ids = sorted({it["device_id"] for it in items if it.get("device_id") is not None})
    found: set[int] = set()
    for chunk in chunks(ids, session):
        stmt = sa.select(Device.id).join(Batch, Batch.id == Device.batch_id) \
            .where(Batch.status == "open", among(session, Device.id, chunk))
        if batch_id is not None:
            stmt = stmt.where(Device.batch_id == batch_id)
        found.update(session.scalars(stmt))
    return found


def _last_touches(items: list[dict], found: dict[int, _MediumRow], by_serial: dict) -> dict[int, int]:
    """{device id: position of the last item that may change it}: after that item its row can be written.
    Generous where an item is ambiguous (a serial several media share): a later write is only later."""
    last: dict[int, int] = {}
    for position, item in enumerate(items):
        if item.get("device_id") is not None:
            last[item["device_id"]] = position
        elif item.get("medium_id") is not None:
            if item["medium_id"] in found:
                last[found[item["medium_id"]].device_id] = position
        else:
            for r in by_serial.get((item.get("medium_serial") or "").strip().upper(), ()):
                last[r.device_id] = position
    return last

