"""Pickups: a client asks us to collect from its site; we schedule it, load sealed containers, sign the handoff, and
check every seal at the dock. The steps and their order are workflows.pickups; this module applies them to the
database, one pickup row locked per step (FOR UPDATE), so two people never lose each other's update.

Each handoff is a custody event on the chain of every batch the pickup carries: `pickup_handoff` at the site (the
containers, both signatories, the bill of lading's SHA-256), `pickup_arrived` at the dock, `seal_checked` per
container (a broken or mismatched seal is an exception the client is told of and sees on the pickup), and
`pickup_reconciled`. The bill of lading is a PDF signed with the operator's certificate key (itad.pickups.manifest).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import documents, notifications
from itad.auth.access import scope
from itad.errors import Conflict, Invalid, NotFound, bounded
from itad.models import Batch, Pickup, PickupBatch, PickupContainer, User, utcnow
from itad.steps import custody
from workflows import pickups as flow

MAX_WINDOW_DAYS = 62


def get_pickup(session: Session, user: User, pickup_id: int) -> Pickup:
    """The pickup, if the user may see it (a client: its own); another client's is a 404."""
    row = session.scalar(scope(sa.select(Pickup), Pickup, user).where(Pickup.id == pickup_id))
    if row is None:
        raise NotFound(f"No pickup with id {pickup_id}.")
    return row


def list_pickups(session: Session, user: User, *, limit: int = 200) -> list[Pickup]:
    return list(session.scalars(scope(sa.select(Pickup), Pickup, user).order_by(Pickup.id.desc()).limit(limit)))


def batches_of(session: Session, pickup: Pickup) -> list[Batch]:
    return list(session.scalars(sa.select(Batch).join(PickupBatch, PickupBatch.batch_id == Batch.id)
                                .where(PickupBatch.pickup_id == pickup.id).order_by(Batch.id)))


def containers_of(session: Session, pickup: Pickup) -> list[PickupContainer]:
    return list(session.scalars(sa.select(PickupContainer).where(PickupContainer.pickup_id == pickup.id)
                                .order_by(PickupContainer.id)))


def parts_of(session: Session, pickup_ids: list[int]) -> tuple[dict[int, list[int]], dict[int, list[PickupContainer]]]:
    """({pickup id: its batch ids}, {pickup id: its containers}) for many pickups, in two queries."""
    batch_ids: dict[int, list[int]] = {i: [] for i in pickup_ids}
    containers: dict[int, list[PickupContainer]] = {i: [] for i in pickup_ids}
    if pickup_ids:
        for pid, bid in session.execute(sa.select(PickupBatch.pickup_id, PickupBatch.batch_id)
                                        .where(PickupBatch.pickup_id.in_(pickup_ids)).order_by(PickupBatch.batch_id)):
            batch_ids[pid].append(bid)
        for c in session.scalars(sa.select(PickupContainer).where(PickupContainer.pickup_id.in_(pickup_ids))
                                 .order_by(PickupContainer.id)):
            containers[c.pickup_id].append(c)
    return batch_ids, containers


def exceptions_of(containers: list[PickupContainer]) -> list[PickupContainer]:
    """Containers whose seal arrived broken or with another number: what the client must hear about."""
    return [c for c in containers if c.seal_result in ("broken", "mismatched")]


def batches_to_carry(session: Session, batches: sa.Select) -> list[Batch]:
    """Of the batches `batches` selects, the open ones no pickup carries yet (what a pickup may still name)."""
    return list(session.scalars(batches.where(Batch.status == "open",
                                              Batch.id.not_in(sa.select(PickupBatch.batch_id)))
                                .order_by(Batch.id.desc()).limit(200)))


def request_pickup(session: Session, user: User, *, site_address: str, contact_name: str, contact_phone: str,
                   window_start: date, window_end: date, expected: dict[str, int] | None = None,
                   loading_notes: str | None = None, batch_ids: list[int] | None = None,
                   organization_id: int | None = None) -> Pickup:
    """A client's request (an admin names the client). Batches named must be the client's, open, and not already
    travelling in another pickup."""
    org_id = user.organization_id if user.role == "client" else organization_id
    if not org_id:
        raise Invalid("Name the client organization the pickup is for.", code="organization_required")
    for name, value, size in (("site address", site_address, 500), ("contact name", contact_name, 200),
                              ("contact phone", contact_phone, 60)):
        if not bounded(value, name, size, "pickup_field_too_long"):
            raise Invalid(f"A pickup needs the {name}.", code="pickup_incomplete")
    loading_notes = bounded(loading_notes, "loading notes", 1000, "pickup_field_too_long")
    if window_end < window_start:
        raise Invalid("The pickup window ends before it starts.", code="invalid_window")
    if window_start < date.today():
        raise Invalid("The pickup window starts in the past.", code="invalid_window")
    if (window_end - window_start).days > MAX_WINDOW_DAYS:
        raise Invalid(f"A pickup window is at most {MAX_WINDOW_DAYS} days.", code="invalid_window")
    counts = {}
    for category, count in (expected or {}).items():
        key = str(category).strip().lower()
        if not key or len(key) > 60 or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise Invalid(f"Expected counts are whole numbers of 0 or more by category; {category!r}: {count!r}.",
                          code="invalid_expected")
        counts[key] = count
    pickup = Pickup(organization_id=org_id, status="requested", site_address=site_address.strip(),
                    contact_name=contact_name.strip(), contact_phone=contact_phone.strip(),
                    window_start=window_start, window_end=window_end, expected=counts,
                    loading_notes=loading_notes, requested_by_id=user.id)
    session.add(pickup)
    session.flush()
    for batch_id in sorted(set(batch_ids or [])):
        _carry(session, pickup, batch_id)
    session.flush()
    return pickup


def _carry(session: Session, pickup: Pickup, batch_id: int) -> Batch:
    batch = session.scalar(sa.select(Batch).where(Batch.id == batch_id, Batch.organization_id == pickup.organization_id))
    if batch is None:
        raise NotFound(f"No batch with id {batch_id}.")
    if batch.status != "open":
        raise Conflict(f"Batch {batch.reference} is closed; a pickup carries open batches.", code="batch_closed",
                       details={"needs": []})
    if session.scalar(sa.select(PickupBatch.pickup_id).where(PickupBatch.batch_id == batch_id)) is not None:
        raise Conflict(f"Batch {batch.reference} already travels in a pickup.", code="batch_in_pickup",
                       details={"needs": []})
    session.add(PickupBatch(pickup_id=pickup.id, batch_id=batch_id))
    session.flush()
    return batch


def add_batch(session: Session, user: User, pickup: Pickup, batch_id: int) -> Batch:
    """Name one more batch the pickup carries (the client's own, open), before the handoff is signed: the asset list
    is often registered after the pickup is asked for."""
    _locked(session, pickup, None)
    if pickup.status not in ("requested", "scheduled"):
        raise Conflict(f"The pickup is {pickup.status.replace('_', ' ')}; batches are named before the handoff.",
                       code="pickup_refused", details={"status": pickup.status, "needs": []})
    batch = _carry(session, pickup, batch_id)
    pickup.version += 1
    return batch


def _locked(session: Session, pickup: Pickup, expected_version: int | None) -> Pickup:
    session.refresh(pickup, with_for_update=True)
    if expected_version is not None and expected_version != pickup.version:
        raise Conflict("Someone else changed this pickup after you opened it; look at it again, then retry.",
                       code="concurrent_update", details={"status": pickup.status, "needs": ["reload"]})
    return pickup


def _facts(session: Session, pickup: Pickup) -> flow.PickupFacts:
    total, unchecked = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(PickupContainer.seal_result.is_(None)))
        .where(PickupContainer.pickup_id == pickup.id)).one()
    carried = session.scalar(sa.select(sa.func.count()).where(PickupBatch.pickup_id == pickup.id))
    return flow.PickupFacts(pickup.status, total, unchecked, carried)


def _move(session: Session, pickup: Pickup, action: str, **facts) -> None:
    try:
        pickup.status = flow.move(_facts(session, pickup), action, **facts)
    except flow.PickupRefused as exc:
        raise Conflict(str(exc), code=exc.code, details={"status": exc.state, "action": action, "reason": exc.reason,
                                                         "needs": list(exc.needs)}) from None
    pickup.version += 1


def _chain(session: Session, actor: User, pickup: Pickup, action: str, evidence: dict) -> None:
    """One custody event per batch carried, each on its own chain (locked in id order: no deadlock)."""
    for batch in batches_of(session, pickup):
        custody.lock_batch(session, batch.id)
        custody.append(session, batch.id, device_id=None, actor=actor, action=action,
                       evidence={"pickup_id": pickup.id, **evidence})


def schedule(session: Session, actor: User, pickup: Pickup, *, scheduled_for: date, crew: str, vehicle: str,
             expected_version: int | None = None) -> Pickup:
    _locked(session, pickup, expected_version)
    crew, vehicle = bounded(crew, "crew", 200), bounded(vehicle, "vehicle", 120)
    if scheduled_for and not (pickup.window_start <= scheduled_for <= pickup.window_end):
        raise Invalid(f"The client asked for {pickup.window_start.isoformat()} to {pickup.window_end.isoformat()}; "
                      f"schedule it within that window.", code="outside_window")
    _move(session, pickup, "schedule", scheduled_for=scheduled_for, crew=crew, vehicle=vehicle)
    pickup.scheduled_for, pickup.crew, pickup.vehicle = scheduled_for, crew, vehicle
    session.flush()
    notifications.notify(session, pickup.organization_id, "pickup_scheduled", {
        "pickup_id": pickup.id, "scheduled_for": scheduled_for.isoformat(), "crew": pickup.crew,
        "vehicle": pickup.vehicle})
    return pickup


def add_container(session: Session, actor: User, pickup: Pickup, *, kind: str, seal_number: str, pieces: int,
                  weight_kg: Decimal) -> PickupContainer:
    """A sealed container loaded at the site (before the handoff is signed)."""
    _locked(session, pickup, None)
    if pickup.status not in flow.LOADING:
        raise Conflict(f"Containers are recorded while loading at the site, before the handoff is signed; the "
                       f"pickup is {pickup.status.replace('_', ' ')}.", code="pickup_refused",
                       details={"status": pickup.status, "needs": ["schedule"] if pickup.status == "requested" else []})
    kind = (kind or "").strip().lower()
    seal = (seal_number or "").strip()
    if kind not in flow.CONTAINER_KINDS:
        raise Invalid(f"A container is one of {', '.join(flow.CONTAINER_KINDS)}.", code="unknown_container")
    if not seal or len(seal) > 60:
        raise Invalid("Each container carries its seal number (at most 60 characters).", code="seal_missing")
    if pieces < 0 or weight_kg < 0:
        raise Invalid("Pieces and weight are 0 or more.", code="invalid_counts")
    taken = session.scalar(sa.select(PickupContainer.id).where(PickupContainer.pickup_id == pickup.id,
                                                               PickupContainer.seal_number == seal))
    if taken is not None:
        raise Conflict(f"Seal {seal} is already on another container of this pickup.", code="seal_in_use",
                       details={"needs": []})
    row = PickupContainer(pickup_id=pickup.id, kind=kind, seal_number=seal, pieces=pieces, weight_kg=weight_kg,
                          recorded_by_id=actor.id)
    session.add(row)
    pickup.version += 1
    session.flush()
    return row


def hand_off(session: Session, actor: User, pickup: Pickup, *, client_representative: str, driver: str,
             client_signed_at: datetime | None = None, driver_signed_at: datetime | None = None,
             expected_version: int | None = None) -> Pickup:
    """The handoff at the site: both sign the bill of lading, which the operator's key then signs."""
    from itad.pickups import manifest

    _locked(session, pickup, expected_version)
    client_representative = bounded(client_representative, "client's representative", 200)
    driver = bounded(driver, "driver", 200)
    _move(session, pickup, "pick_up", client_representative=client_representative, driver=driver)
    now = utcnow().replace(microsecond=0)
    pickup.client_representative, pickup.driver = client_representative, driver
    pickup.client_signed_at, pickup.driver_signed_at = client_signed_at or now, driver_signed_at or now
    pdf = manifest.signed_manifest(session, pickup, containers_of(session, pickup), batches_of(session, pickup))
    pickup.manifest_sha256 = documents.storage(session, _config()).put(pdf)
    containers = [{"kind": c.kind, "seal": c.seal_number, "pieces": c.pieces, "weight_kg": str(c.weight_kg)}
                  for c in containers_of(session, pickup)]
    _chain(session, actor, pickup, "pickup_handoff", {
        "containers": containers, "client_representative": pickup.client_representative,
        "client_signed_at": pickup.client_signed_at.isoformat(), "driver": pickup.driver,
        "driver_signed_at": pickup.driver_signed_at.isoformat(), "vehicle": pickup.vehicle,
        "manifest_sha256": pickup.manifest_sha256})
    session.flush()
    return pickup


def depart(session: Session, actor: User, pickup: Pickup, *, expected_version: int | None = None) -> Pickup:
    _locked(session, pickup, expected_version)
    _move(session, pickup, "depart")
    session.flush()
    return pickup


def arrive(session: Session, actor: User, pickup: Pickup, *, expected_version: int | None = None) -> Pickup:
    _locked(session, pickup, expected_version)
    _move(session, pickup, "arrive")
    _chain(session, actor, pickup, "pickup_arrived", {"containers": _facts(session, pickup).containers})
    session.flush()
    return pickup


def check_seal(session: Session, actor: User, pickup: Pickup, container_id: int, *, seal_read: str, intact: bool,
               note: str | None = None) -> PickupContainer:
    """The dock reads a container's seal. A broken seal or another number is an exception: recorded, told to the
    client, and shown on the pickup; it never stops the count, and it is never overwritten."""
    _locked(session, pickup, None)
    row = session.get(PickupContainer, container_id)
    if row is None or row.pickup_id != pickup.id:
        raise NotFound(f"No container with id {container_id} in pickup {pickup.id}.")
    if pickup.status not in flow.AT_DOCK:
        raise Conflict(f"Seals are checked at the dock, once the load has arrived; the pickup is "
                       f"{pickup.status.replace('_', ' ')}.", code="pickup_refused",
                       details={"status": pickup.status, "needs": ["arrive"]})
    if row.seal_result is not None:
        raise Conflict(f"The seal of container {row.seal_number} was checked already ({row.seal_result}).",
                       code="seal_checked", details={"needs": []})
    read = (seal_read or "").strip()
    if not read or len(read) > 60:
        raise Invalid("Type the seal number as read at the dock.", code="seal_missing")
    row.seal_read, row.seal_result = read, flow.seal_result(row.seal_number, read, intact)
    row.check_note = bounded(note, "note", 500)
    row.checked_by_id, row.checked_at = actor.id, utcnow()
    pickup.version += 1
    _chain(session, actor, pickup, "seal_checked", {"container_id": row.id, "seal": row.seal_number,
                                                    "read": read, "result": row.seal_result, "note": row.check_note})
    if row.seal_result != "intact":
        notifications.notify(session, pickup.organization_id, "seal_exception", {
            "pickup_id": pickup.id, "seal": row.seal_number, "read": read, "result": row.seal_result})
    session.flush()
    return row


def reconcile(session: Session, actor: User, pickup: Pickup, *, expected_version: int | None = None) -> Pickup:
    _locked(session, pickup, expected_version)
    _move(session, pickup, "reconcile")
    exceptions = exceptions_of(containers_of(session, pickup))
    _chain(session, actor, pickup, "pickup_reconciled", {
        "seal_exceptions": [{"seal": c.seal_number, "read": c.seal_read, "result": c.seal_result} for c in exceptions],
        "expected_vs_received": [{"category": k, "expected": e, "received": r}
                                 for k, e, r in expected_vs_received(session, pickup)]})
    session.flush()
    return pickup


def cancel(session: Session, actor: User, pickup: Pickup, *, reason: str, expected_version: int | None = None) -> Pickup:
    _locked(session, pickup, expected_version)
    reason = bounded(reason, "reason", 500)
    _move(session, pickup, "cancel", reason=reason)
    pickup.cancel_reason = reason
    session.flush()
    return pickup


def _config():
    from flask import current_app

    return current_app.config


def expected_vs_received(session: Session, pickup: Pickup) -> list[tuple[str, int | None, int]]:
    """[(category, what the client expected, what arrived)]: units of the pickup's batches received, by category, and
    lots counted at the dock (their category spelled as the client wrote it, spaces for underscores). A category
    the client did not name but that arrived is listed with None expected."""
    from itad.models import Device, MaterialLot

    ids = [b.id for b in batches_of(session, pickup)]
    arrived: dict[str, int] = {}
    if ids:
        for category, n in session.execute(
                sa.select(Device.category, sa.func.count())
                .where(Device.batch_id.in_(ids), Device.state.not_in(("registered", "missing", "matched")))
                .group_by(Device.category)):
            key = (category or "").strip().lower() or "(no category)"
            arrived[key] = arrived.get(key, 0) + n
        for category, n in session.execute(
                sa.select(MaterialLot.category, MaterialLot.received_count)
                .where(MaterialLot.batch_id.in_(ids), MaterialLot.category != "devices",
                       MaterialLot.received_count.is_not(None))):
            key = category.replace("_", " ")
            arrived[key] = arrived.get(key, 0) + n
    expected = {k.replace("_", " "): v for k, v in (pickup.expected or {}).items()}
    keys = list(expected) + sorted(k for k in arrived if k not in expected)
    return [(k, expected.get(k), arrived.get(k, 0)) for k in keys]
