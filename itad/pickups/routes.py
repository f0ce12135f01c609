"""Pickups over the API: a client requests and follows its pickups; operators schedule, record the sealed
containers and the signed handoff, and check the seals at the dock. Another client's pickup is a 404."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Response, current_app
from pydantic import BaseModel, ConfigDict, Field

from itad import documents
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import Out
from itad.errors import NotFound
from itad import pickups
from itad.models import db

TAGS = ("pickups",)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PickupIn(In):
    site_address: str = Field(min_length=1, max_length=500)
    contact_name: str = Field(min_length=1, max_length=200)
    contact_phone: str = Field(min_length=1, max_length=60)
    window_start: date
    window_end: date
    expected: dict[str, int] = Field(default_factory=dict, description="counts the client expects, by category")
    loading_notes: str | None = Field(None, max_length=1000)
    batch_ids: list[int] = Field(default_factory=list, description="the open batches the pickup carries")
    organization_id: int | None = Field(None, ge=1, le=2**31 - 1, description="admins: the client it is for")


class ScheduleIn(In):
    scheduled_for: date
    crew: str = Field(min_length=1, max_length=200)
    vehicle: str = Field(min_length=1, max_length=120)
    version: int | None = None


class ContainerIn(In):
    kind: str = Field(description="pallet, locked_bin, gaylord, box, case", max_length=16)
    seal_number: str = Field(min_length=1, max_length=60)
    pieces: int = Field(ge=0, le=1_000_000)
    weight_kg: Decimal = Field(ge=0, le=100_000, decimal_places=2)


class HandoffIn(In):
    client_representative: str = Field(min_length=1, max_length=200)
    driver: str = Field(min_length=1, max_length=200)
    client_signed_at: datetime | None = None
    driver_signed_at: datetime | None = None
    version: int | None = None


class BatchIn(In):
    batch_id: int = Field(ge=1, le=2**31 - 1)


class SealCheckIn(In):
    seal_read: str = Field(min_length=1, max_length=60, description="the seal number as read at the dock")
    intact: bool
    note: str | None = Field(None, max_length=500)


class StepIn(In):
    version: int | None = None


class CancelIn(In):
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = None


class ContainerOut(Out):
    id: int
    kind: str
    seal_number: str
    pieces: int
    weight_kg: Decimal
    seal_read: str | None
    seal_result: str | None
    check_note: str | None
    checked_at: datetime | None


class PickupOut(Out):
    id: int
    organization_id: int
    status: str
    site_address: str
    contact_name: str
    contact_phone: str
    window_start: date
    window_end: date
    expected: dict
    loading_notes: str | None
    scheduled_for: date | None
    crew: str | None
    vehicle: str | None
    client_representative: str | None
    client_signed_at: datetime | None
    driver: str | None
    driver_signed_at: datetime | None
    manifest_sha256: str | None
    cancel_reason: str | None
    version: int
    batch_ids: list[int] = []
    containers: list[ContainerOut] = []
    seal_exceptions: int = 0


class PickupList(BaseModel):
    items: list[PickupOut]


def _outs(rows) -> list[PickupOut]:
    batch_ids, containers = pickups.parts_of(db.session, [p.id for p in rows])
    outs = []
    for p in rows:
        out = PickupOut.model_validate(p)
        out.batch_ids = batch_ids[p.id]
        out.containers = [ContainerOut.model_validate(c) for c in containers[p.id]]
        out.seal_exceptions = len(pickups.exceptions_of(containers[p.id]))
        outs.append(out)
    return outs


def _out(p) -> PickupOut:
    return _outs([p])[0]


def _get(pickup_id: int):
    return pickups.get_pickup(db.session, current_user(), pickup_id)


@bp.post("/pickups")
@operation("Request a pickup from a site (a client: its own; an admin names the client)", body=PickupIn,
           response=PickupOut, status=201, tags=TAGS, errors=(404, 409, 422))
def request_pickup(body: PickupIn):
    p = pickups.request_pickup(db.session, current_user(), site_address=body.site_address,
                               contact_name=body.contact_name, contact_phone=body.contact_phone,
                               window_start=body.window_start, window_end=body.window_end, expected=body.expected,
                               loading_notes=body.loading_notes, batch_ids=body.batch_ids,
                               organization_id=body.organization_id)
    return _out(p)


@bp.get("/pickups")
@operation("Pickups, newest first (a client: its own)", response=PickupList, tags=TAGS)
def list_pickups():
    return PickupList(items=_outs(pickups.list_pickups(db.session, current_user())))


@bp.get("/pickups/<int:pickup_id>")
@operation("One pickup with its containers and seal checks", response=PickupOut, tags=TAGS, errors=(404,))
def get_pickup(pickup_id: int):
    return _out(_get(pickup_id))


@bp.post("/pickups/<int:pickup_id>/schedule")
@operation("Schedule a pickup (date within the client's window, crew, vehicle)", roles=OPERATOR_ROLES,
           body=ScheduleIn, response=PickupOut, tags=TAGS, errors=(404, 409, 422))
def pickup_schedule(pickup_id: int, body: ScheduleIn):
    return _out(pickups.schedule(db.session, current_user(), _get(pickup_id), scheduled_for=body.scheduled_for,
                                 crew=body.crew, vehicle=body.vehicle, expected_version=body.version))


@bp.post("/pickups/<int:pickup_id>/containers")
@operation("Record a sealed container loaded at the site", roles=OPERATOR_ROLES, body=ContainerIn,
           response=ContainerOut, status=201, tags=TAGS, errors=(404, 409, 422))
def pickup_add_container(pickup_id: int, body: ContainerIn):
    return ContainerOut.model_validate(pickups.add_container(
        db.session, current_user(), _get(pickup_id), kind=body.kind, seal_number=body.seal_number,
        pieces=body.pieces, weight_kg=body.weight_kg))


@bp.post("/pickups/<int:pickup_id>/handoff")
@operation("The signed handoff at the site: the client's representative and the driver (picked up); the bill of "
           "lading is signed with the operator's key", roles=OPERATOR_ROLES, body=HandoffIn, response=PickupOut,
           tags=TAGS, errors=(404, 409))
def pickup_hand_off(pickup_id: int, body: HandoffIn):
    return _out(pickups.hand_off(db.session, current_user(), _get(pickup_id),
                                 client_representative=body.client_representative, driver=body.driver,
                                 client_signed_at=body.client_signed_at, driver_signed_at=body.driver_signed_at,
                                 expected_version=body.version))


@bp.post("/pickups/<int:pickup_id>/batches")
@operation("Name one more batch the pickup carries (before the handoff)", roles=("client", "admin"), body=BatchIn,
           response=PickupOut, tags=TAGS, errors=(404, 409))
def pickup_add_batch(pickup_id: int, body: BatchIn):
    p = _get(pickup_id)
    pickups.add_batch(db.session, current_user(), p, body.batch_id)
    return _out(p)


@bp.post("/pickups/<int:pickup_id>/depart")
@operation("The load leaves the site (in transit)", roles=OPERATOR_ROLES, body=StepIn, response=PickupOut,
           tags=TAGS, errors=(404, 409))
def pickup_depart(pickup_id: int, body: StepIn):
    return _out(pickups.depart(db.session, current_user(), _get(pickup_id), expected_version=body.version))


@bp.post("/pickups/<int:pickup_id>/arrive")
@operation("The load reaches our dock", roles=OPERATOR_ROLES, body=StepIn, response=PickupOut, tags=TAGS,
           errors=(404, 409))
def pickup_arrive(pickup_id: int, body: StepIn):
    return _out(pickups.arrive(db.session, current_user(), _get(pickup_id), expected_version=body.version))


@bp.post("/pickups/<int:pickup_id>/containers/<int:container_id>/check")
@operation("Check a container's seal at the dock (broken or another number: an exception the client sees)",
           roles=OPERATOR_ROLES, body=SealCheckIn, response=ContainerOut, tags=TAGS, errors=(404, 409, 422))
def pickup_check_seal(pickup_id: int, container_id: int, body: SealCheckIn):
    return ContainerOut.model_validate(pickups.check_seal(db.session, current_user(), _get(pickup_id), container_id,
                                                          seal_read=body.seal_read, intact=body.intact, note=body.note))


@bp.post("/pickups/<int:pickup_id>/reconcile")
@operation("Reconcile an arrived pickup (every seal checked)", roles=OPERATOR_ROLES, body=StepIn,
           response=PickupOut, tags=TAGS, errors=(404, 409))
def pickup_reconcile(pickup_id: int, body: StepIn):
    return _out(pickups.reconcile(db.session, current_user(), _get(pickup_id), expected_version=body.version))


@bp.post("/pickups/<int:pickup_id>/cancel")
@operation("Cancel a pickup not yet picked up, with the reason", roles=("client", "admin"), body=CancelIn,
           response=PickupOut, tags=TAGS,
           errors=(404, 409))
def pickup_cancel(pickup_id: int, body: CancelIn):
    return _out(pickups.cancel(db.session, current_user(), _get(pickup_id), reason=body.reason,
                               expected_version=body.version))


@bp.get("/pickups/<int:pickup_id>/manifest.pdf")
@operation("The signed bill of lading", tags=TAGS, errors=(404,), produces="application/pdf")
def pickup_manifest_pdf(pickup_id: int):
    p = _get(pickup_id)
    if not p.manifest_sha256:
        raise NotFound(f"Pickup {pickup_id} has no bill of lading yet (it is signed at the handoff).")
    pdf = documents.storage(db.session, current_app.config).get(p.manifest_sha256)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="pickup-PU-{p.id}.pdf"'})
