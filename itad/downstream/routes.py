"""Lots, downstream vendors, shipments, mass balance, the environmental summary and the certificate of recycling over
the API. A client reads its own batches' lots, balance and summary; operators record; admins keep the vendor list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from itad import batches, downstream
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import Out
from itad.downstream import balance, impact, recycling
from itad.errors import Invalid
from itad.models import Organization, db
from itad.periods import period

TAGS = ("downstream",)
ADMIN = ("admin",)
KgField = Field(ge=0, le=10_000_000, decimal_places=2)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LotIn(In):
    category: str = Field(max_length=60, description=", ".join(downstream.LOT_CATEGORIES))
    stage: str = Field(pattern="^(site|dock)$", description="site: as declared at pickup; dock: as counted here")
    count: int | None = Field(None, ge=0, le=10_000_000)
    weight_kg: Decimal | None = Field(None, ge=0, le=10_000_000, decimal_places=2)


class PiecesIn(In):
    wiped: int = Field(0, ge=0, le=10_000_000)
    wipe_technique: str | None = Field(None, max_length=40, description="with wiped: overwrite, crypto_erase, ...")
    destroyed: int = Field(0, ge=0, le=10_000_000)
    technique: str | None = Field(None, max_length=40, description="with destroyed: shred, disintegrate, ...")
    missing: int = Field(0, ge=0, le=10_000_000)
    reason: str | None = Field(None, max_length=2000)


class LotOut(Out):
    id: int
    batch_id: int
    category: str
    declared_count: int | None
    declared_weight_kg: Decimal | None
    received_count: int | None
    received_weight_kg: Decimal | None
    wiped: int
    destroyed: int
    reported_missing: int
    processed_at: object | None = None


class PiecesOut(BaseModel):
    wiped: dict[str, int] = Field(description="pieces wiped, by technique")
    destroyed: dict[str, int] = Field(description="pieces destroyed, by technique")
    missing: int
    reasons: list[str] = Field(description="every reason given for pieces reported missing")


class LotLineOut(BaseModel):
    lot: LotOut
    count_difference: int | None
    weight_difference: Decimal | None
    unaccounted: int
    exception: bool
    pieces: PiecesOut | None = Field(None, description="a data-bearing lot's accounting, step by step summed")


class LotList(BaseModel):
    items: list[LotLineOut]


class VendorIn(In):
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(None, max_length=500)


class CertificationIn(In):
    standard: str = Field(description=", ".join(downstream.STANDARDS))
    certificate_number: str = Field(min_length=1, max_length=80)
    valid_from: date
    expires_on: date


class CertificationOut(Out):
    id: int
    standard: str
    certificate_number: str
    valid_from: date
    expires_on: date


class VendorOut(Out):
    id: int
    name: str
    address: str | None
    certifications: list[CertificationOut] = []


class VendorList(BaseModel):
    items: list[VendorOut]


class AllocationIn(In):
    batch_id: int = Field(ge=1, le=2**31 - 1)
    weight_kg: Decimal = KgField


class ShipmentIn(In):
    vendor_id: int = Field(ge=1, le=2**31 - 1)
    stream: str = Field(min_length=1, max_length=60)
    purpose: str = Field(pattern="^(recycling|reuse)$")
    weight_kg: Decimal = KgField
    shipped_on: date
    reference: str | None = Field(None, max_length=120)
    allocations: list[AllocationIn] = Field(default_factory=list)


class ShipmentOut(Out):
    id: int
    vendor_id: int
    certification_id: int
    stream: str
    purpose: str
    weight_kg: Decimal
    shipped_on: date
    reference: str | None


class BalanceOut(BaseModel):
    weight_in: Decimal
    resold: Decimal
    reused: Decimal
    recycled: Decimal
    in_stock: Decimal
    difference: Decimal
    units_received: int
    units_sold: int
    units_held: int
    unweighed: list[str]
    co2e_avoided_kg: Decimal
    co2e_by_category: list[dict]
    not_counted_for_co2e: dict[str, int] = Field(description="units resold whose category has no factor")


class EnvironmentQuery(In):
    client_id: int | None = Field(None, ge=1, le=2**31 - 1, description="admins: the client; none: every client")
    start: date | None = None
    end: date | None = None


class EnvironmentOut(BaseModel):
    client_id: int | None
    start: date
    end: date
    total: BalanceOut
    batches: dict[str, BalanceOut]


class FactorIn(In):
    co2e_avoided_kg: Decimal = Field(ge=0, le=100_000, decimal_places=2)
    source: str = Field(min_length=1, max_length=500)


class FactorOut(BaseModel):
    category: str
    co2e_avoided_kg: Decimal
    source: str
    set_by_admin: bool


class FactorList(BaseModel):
    items: list[FactorOut]


class RecyclingIn(In):
    reason: str | None = Field(None, max_length=500)


class CertificateOut(Out):
    id: int
    number: str
    kind: str
    status: str
    sha256: str


def _balance(b: balance.Balance) -> BalanceOut:
    return BalanceOut(weight_in=b.weight_in, resold=b.resold, reused=b.reused, recycled=b.recycled,
                      in_stock=b.in_stock, difference=b.difference, units_received=b.units_received,
                      units_sold=b.units_sold, units_held=b.units_held, unweighed=b.unweighed,
                      co2e_avoided_kg=b.co2e_avoided,
                      co2e_by_category=[{"category": c, "units": u, "factor_kg": str(f), "co2e_kg": str(kg),
                                         "source": s} for c, u, f, kg, s in b.co2e_lines],
                      not_counted_for_co2e=dict(b.no_factor))


def _line(x: downstream.LotLine) -> LotLineOut:
    return LotLineOut(lot=LotOut.model_validate(x.lot), count_difference=x.count_difference,
                      weight_difference=x.weight_difference, unaccounted=x.unaccounted, exception=x.exception,
                      pieces=PiecesOut(wiped=x.pieces.wiped, destroyed=x.pieces.destroyed, missing=x.pieces.missing,
                                       reasons=list(x.pieces.reasons)) if x.pieces else None)


@bp.post("/batches/<int:batch_id>/lots")
@operation("Record a lot (loose drives, tapes, cables, peripherals, e-waste, or the units weighed together) as "
           "declared at the site or counted at the dock", roles=OPERATOR_ROLES, body=LotIn, response=LotOut,
           tags=TAGS, errors=(404, 409, 422))
def record_lot(batch_id: int, body: LotIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return LotOut.model_validate(downstream.record_lot(db.session, current_user(), batch, body.category, body.stage,
                                                       count=body.count, weight_kg=body.weight_kg))


@bp.get("/batches/<int:batch_id>/lots")
@operation("The batch's lots, what the site declared beside what the dock found", response=LotList, tags=TAGS,
           errors=(404,))
def list_lots(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return LotList(items=[_line(x) for x in downstream.reconcile_lots(db.session, batch.id)])


@bp.post("/lots/<int:lot_id>/pieces")
@operation("Account for loose drives or tapes: wiped or destroyed (each with its technique) or reported missing (with "
           "the reason)", roles=OPERATOR_ROLES, body=PiecesIn, response=LotOut, tags=TAGS, errors=(404, 409, 422))
def account_pieces(lot_id: int, body: PiecesIn):
    lot, batch = downstream.get_lot(db.session, current_user(), lot_id)
    return LotOut.model_validate(downstream.account_pieces(
        db.session, current_user(), lot, batch, wiped=body.wiped, wipe_technique=body.wipe_technique,
        destroyed=body.destroyed, technique=body.technique, missing=body.missing, reason=body.reason))


@bp.post("/lots/<int:lot_id>/processed")
@operation("The lot's material went into the outbound streams", roles=OPERATOR_ROLES, response=LotOut, tags=TAGS,
           errors=(404, 409))
def process_lot(lot_id: int):
    lot, batch = downstream.get_lot(db.session, current_user(), lot_id)
    return LotOut.model_validate(downstream.process_lot(db.session, current_user(), lot, batch))


def _vendor_outs(vendors) -> list[VendorOut]:
    certified = downstream.certifications_by_vendor(db.session, [v.id for v in vendors])
    outs = []
    for v in vendors:
        out = VendorOut.model_validate(v)
        out.certifications = [CertificationOut.model_validate(c) for c in certified[v.id]]
        outs.append(out)
    return outs


@bp.get("/vendors")
@operation("Downstream vendors with their certifications", roles=OPERATOR_ROLES, response=VendorList, tags=TAGS)
def list_vendors():
    return VendorList(items=_vendor_outs(downstream.vendors(db.session)))


@bp.post("/vendors")
@operation("Add a downstream vendor", roles=ADMIN, body=VendorIn, response=VendorOut, status=201, tags=TAGS,
           errors=(409, 422))
def add_vendor(body: VendorIn):
    return _vendor_outs([downstream.add_vendor(db.session, current_user(), body.name, body.address)])[0]


@bp.post("/vendors/<int:vendor_id>/certifications")
@operation("Record a vendor's certification (R2v3, e-Stewards, ISO 14001) and its dates", roles=ADMIN,
           body=CertificationIn, response=CertificationOut, status=201, tags=TAGS, errors=(404, 422))
def add_certification(vendor_id: int, body: CertificationIn):
    return CertificationOut.model_validate(downstream.add_certification(
        db.session, current_user(), downstream.get_vendor(db.session, vendor_id), standard=body.standard,
        certificate_number=body.certificate_number, valid_from=body.valid_from, expires_on=body.expires_on))


@bp.post("/shipments")
@operation("Ship a material stream to a vendor certified on the shipping day (409 otherwise), allocated to batches",
           roles=OPERATOR_ROLES, body=ShipmentIn, response=ShipmentOut, status=201, tags=TAGS, errors=(404, 409, 422))
def ship(body: ShipmentIn):
    return ShipmentOut.model_validate(downstream.ship(
        db.session, current_user(), downstream.get_vendor(db.session, body.vendor_id), stream=body.stream,
        purpose=body.purpose, weight_kg=body.weight_kg, shipped_on=body.shipped_on, reference=body.reference,
        allocations=[(a.batch_id, a.weight_kg) for a in body.allocations]))


@bp.get("/batches/<int:batch_id>/mass-balance")
@operation("The batch's mass balance and environmental summary", response=BalanceOut, tags=TAGS, errors=(404,))
def batch_balance(batch_id: int):
    return _balance(balance.of_batch(db.session, batches.get_batch(db.session, current_user(), batch_id)))


@bp.get("/environment")
@operation("The mass balance and environmental summary of a period: a client's batches received then (an admin: one "
           "client's, or every client's), each balanced, and the sum", roles=("client", "admin"),
           query=EnvironmentQuery, response=EnvironmentOut, tags=TAGS, errors=(403, 422))
def environment(query: EnvironmentQuery):
    user = current_user()
    client_id = user.organization_id if user.role == "client" else query.client_id
    if client_id is not None and db.session.get(Organization, client_id) is None:
        raise Invalid(f"No client with id {client_id}.", code="organization_required")
    start, end = period(query.start, query.end)
    if end < start:
        raise Invalid("The period ends before it starts.", code="invalid_period")
    total, rows = balance.of_period(db.session, start, end, client_id)
    return EnvironmentOut(client_id=client_id, start=start, end=end, total=_balance(total),
                          batches={b.reference: _balance(x) for b, x in rows})


@bp.get("/impact-factors")
@operation("The CO2e a reused unit avoids, by category, with its published source", response=FactorList, tags=TAGS)
def list_factors():
    return FactorList(items=[FactorOut(**f.__dict__) for f in sorted(impact.factors(db.session).values(),
                                                                      key=lambda f: f.category)])


@bp.put("/impact-factors/<category>")
@operation("Set a category's factor with its source (audited)", roles=ADMIN, body=FactorIn, response=FactorOut,
           tags=TAGS, errors=(422,))
def put_factor(category: str, body: FactorIn):
    row = impact.set_factor(db.session, current_user(), category, body.co2e_avoided_kg, body.source)
    return FactorOut(category=row.category, co2e_avoided_kg=row.co2e_avoided_kg, source=row.source, set_by_admin=True)


@bp.post("/batches/<int:batch_id>/recycling-certificate")
@operation("Issue (or re-issue) the batch's certificate of recycling, signed, with a verify URL", roles=ADMIN,
           body=RecyclingIn, response=CertificateOut, status=201, tags=TAGS, errors=(404, 409))
def recycling_certificate(batch_id: int, body: RecyclingIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return CertificateOut.model_validate(recycling.issue(db.session, current_user(), batch, body.reason))
