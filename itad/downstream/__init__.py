"""What is not serialized, and where material goes after us.

Lots: loose drives, tapes, cables, peripherals, e-waste, and the batch's serialized units weighed together ("devices"),
one row per batch and category: declared at the site (the pickup manifest's figures) and counted and weighed at the
dock; the difference is shown, never adjusted. Data-bearing lots (loose drives, tapes) must each end wiped or
destroyed, or be reported missing with the reason: until then the batch does not close (closing_blockers).

Downstream: vendors and their certifications (R2v3, e-Stewards, ISO 14001, each valid from one day to its expiry);
an outbound shipment of a material stream goes only to a vendor with a certification valid on the shipping day
(409 otherwise), and its weight is allocated to the batches it came from. Every lot step and shipment is a custody
event on the batch's chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Conflict, Invalid, NotFound, bounded
from itad.models import (
    Batch, CustodyEvent, DownstreamVendor, MaterialLot, OutboundShipment, ShipmentAllocation, User,
    VendorCertification, utcnow,
)
from itad.steps import custody
from itad.words import word
from workflows.sanitization import DESTROY_TECHNIQUES, WIPE_TECHNIQUES, normalise_technique

LOT_CATEGORIES = ("devices", "loose_drives", "tapes", "cables", "peripherals", "e_waste", "other")
DATA_LOTS = frozenset({"loose_drives", "tapes"})       # each piece must end wiped or destroyed, or be reported
STANDARDS = ("R2v3", "e-Stewards", "ISO 14001")
PURPOSES = ("recycling", "reuse")
ZERO = Decimal("0.00")


def _kg(value) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(str(value)).quantize(Decimal("0.01"))
    if value < 0:
        raise Invalid("A weight is 0 kg or more.", code="invalid_weight")
    return value


def _count(value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Invalid("A count is a whole number of 0 or more.", code="invalid_count")
    return value


def _lot(session: Session, batch: Batch, category: str) -> MaterialLot:
    category = (category or "").strip().lower().replace(" ", "_").replace("-", "_")
    if category not in LOT_CATEGORIES:
        raise Invalid(f"A lot is one of {', '.join(LOT_CATEGORIES)}.", code="unknown_lot_category")
    custody.lock_batch(session, batch.id)
    lot = session.scalar(sa.select(MaterialLot).where(MaterialLot.batch_id == batch.id,
                                                      MaterialLot.category == category))
    if lot is None:
        lot = MaterialLot(batch_id=batch.id, category=category)
        session.add(lot)
        session.flush()
    return lot


def _open(batch: Batch) -> None:
    if batch.status != "open":
        raise Conflict(f"Batch {batch.reference} is closed; its lots no longer change.", code="batch_closed",
                       details={"needs": []})


STAGES = {"site": "lot_declared", "dock": "lot_received"}


def record_lot(session: Session, actor: User, batch: Batch, category: str, stage: str, *, count: int | None = None,
               weight_kg=None) -> MaterialLot:
    """A lot's count and/or weight: as the site declares it (the pickup manifest's figures), or as the dock counted
    and weighed it. Each is kept beside the other, never over it."""
    if stage not in STAGES:
        raise Invalid("A lot is recorded as declared at the site or as counted at the dock.", code="unknown_stage")
    _open(batch)
    if count is None and weight_kg is None:
        raise Invalid("Give the lot's count, its weight, or both.", code="lot_empty")
    lot = _lot(session, batch, category)
    count, weight = _count(count), _kg(weight_kg)
    if stage == "site":
        lot.declared_count, lot.declared_weight_kg = count, weight
    else:
        lot.received_count, lot.received_weight_kg, lot.received_at = count, weight, utcnow()
    custody.append(session, batch.id, device_id=None, actor=actor, action=STAGES[stage],
                   evidence={"lot_id": lot.id, "category": lot.category, "count": count,
                             "weight_kg": str(weight) if weight is not None else None})
    return lot


def get_lot(session: Session, user: User, lot_id: int) -> tuple[MaterialLot, Batch]:
    from itad import batches

    lot = session.get(MaterialLot, lot_id)
    if lot is None:
        raise NotFound(f"No lot with id {lot_id}.")
    return lot, batches.get_batch(session, user, lot.batch_id)       # another client's lot: 404 there


def account_pieces(session: Session, actor: User, lot: MaterialLot, batch: Batch, *, wiped: int = 0,
                   wipe_technique: str | None = None, destroyed: int = 0, technique: str | None = None,
                   missing: int = 0, reason: str | None = None) -> MaterialLot:
    """Loose drives or tapes: how many more were wiped (with the wipe technique), destroyed (with the destruction
    technique) or reported missing (with the reason). Never more than the site counted. The lot keeps the totals;
    each step's techniques and reason are its custody event, which `pieces_accounted` reads back."""
    _open(batch)
    custody.lock_batch(session, batch.id)
    session.refresh(lot)
    if lot.category not in DATA_LOTS:
        raise Invalid(f"Only data-bearing lots ({', '.join(sorted(DATA_LOTS))}) are accounted piece by piece.",
                      code="not_a_data_lot")
    for n in (wiped, destroyed, missing):
        _count(n)
    wipe_tech = normalise_technique(wipe_technique or "") if wiped else None
    if wiped and wipe_tech not in WIPE_TECHNIQUES:
        raise Invalid(f"Say how they were wiped: one of {', '.join(WIPE_TECHNIQUES)}.",
                      code="wipe_technique_missing")
    tech = normalise_technique(technique or "") if destroyed else None
    if destroyed and tech not in DESTROY_TECHNIQUES:
        raise Invalid(f"Say how they were destroyed: one of {', '.join(sorted(DESTROY_TECHNIQUES))}.",
                      code="destruction_technique_missing")
    reason = (reason or "").strip() if missing else ""
    if missing and not reason:
        raise Invalid("Pieces reported missing need the reason.", code="missing_reason_required")
    counted = _site_count(lot)
    if counted is None:
        raise Conflict("Count the lot first (at the site or the dock): pieces are accounted against a count.",
                       code="lot_not_counted", details={"needs": ["declare", "receive"]})
    total = lot.wiped + lot.destroyed + lot.reported_missing + wiped + destroyed + missing
    if total > counted:
        raise Invalid(f"The lot holds {counted} piece(s); {total} would be accounted.", code="over_accounted")
    lot.wiped += wiped
    lot.destroyed += destroyed
    lot.reported_missing += missing
    custody.append(session, batch.id, device_id=None, actor=actor, action="lot_pieces_accounted",
                   evidence={"lot_id": lot.id, "category": lot.category, "wiped": wiped, "wipe_technique": wipe_tech,
                             "destroyed": destroyed, "technique": tech, "missing": missing, "reason": reason or None})
    return lot


@dataclass(frozen=True)
class Pieces:
    """How a data-bearing lot's pieces were accounted, step by step summed: pieces by technique (an accounting
    recorded before techniques of wipes were asked for says "not recorded") and every reason given for missing."""
    wiped: dict[str, int]
    destroyed: dict[str, int]
    missing: int
    reasons: tuple[str, ...]


NOT_RECORDED = "not recorded"


def pieces_text(p: Pieces) -> str:
    """'30 wiped (Overwrite 20, Cryptographic erase 10), 9 destroyed (Shred 9), 1 reported missing (reason)'."""
    def by(techniques: dict[str, int]) -> str:
        return ", ".join(f"{word(t, 'technique')} {n}" for t, n in techniques.items())
    wiped, destroyed = sum(p.wiped.values()), sum(p.destroyed.values())
    return ", ".join((f"{wiped} wiped" + (f" ({by(p.wiped)})" if wiped else ""),
                      f"{destroyed} destroyed" + (f" ({by(p.destroyed)})" if destroyed else ""),
                      f"{p.missing} reported missing" + (f" ({'; '.join(p.reasons)})" if p.reasons else "")))


def pieces_accounted(session: Session, batch_id: int) -> dict[int, Pieces]:
    """{lot id: its Pieces}, from the batch's `lot_pieces_accounted` custody events (one query)."""
    steps: dict[int, list[dict]] = {}
    for ev in session.scalars(sa.select(CustodyEvent.evidence)
                              .where(CustodyEvent.batch_id == batch_id, CustodyEvent.action == "lot_pieces_accounted")
                              .order_by(CustodyEvent.seq)):
        steps.setdefault(ev["lot_id"], []).append(ev)
    out = {}
    for lot_id, evs in steps.items():
        wiped: dict[str, int] = {}
        destroyed: dict[str, int] = {}
        for ev in evs:
            if ev.get("wiped"):
                key = ev.get("wipe_technique") or NOT_RECORDED
                wiped[key] = wiped.get(key, 0) + ev["wiped"]
            if ev.get("destroyed"):
                key = ev.get("technique") or NOT_RECORDED
                destroyed[key] = destroyed.get(key, 0) + ev["destroyed"]
        out[lot_id] = Pieces(wiped, destroyed, sum(ev.get("missing") or 0 for ev in evs),
                             tuple(ev["reason"] for ev in evs if ev.get("missing") and ev.get("reason")))
    return out


def process_lot(session: Session, actor: User, lot: MaterialLot, batch: Batch) -> MaterialLot:
    """The lot's material went into the outbound streams (shredded, separated): it is not stock any more."""
    custody.lock_batch(session, batch.id)
    session.refresh(lot)
    if lot.received_weight_kg is None:
        raise Conflict("Weigh the lot at the dock before it is processed: the mass balance needs its weight.",
                       code="lot_not_weighed", details={"needs": ["receive"]})
    if lot.category in DATA_LOTS and unaccounted(lot):
        raise Conflict(f"{unaccounted(lot)} piece(s) of the lot are neither wiped nor destroyed nor reported "
                       "missing.", code="pieces_unaccounted", details={"needs": ["account pieces"]})
    lot.processed_at = lot.processed_at or utcnow()
    custody.append(session, batch.id, device_id=None, actor=actor, action="lot_processed",
                   evidence={"lot_id": lot.id, "category": lot.category, "weight_kg": str(lot.received_weight_kg)})
    return lot


def _site_count(lot: MaterialLot) -> int | None:
    """What the pieces are accounted against: the site's count (what the client handed over), else the dock's."""
    return lot.declared_count if lot.declared_count is not None else lot.received_count


def unaccounted(lot: MaterialLot) -> int:
    counted = _site_count(lot)
    if counted is None:
        return 0
    return max(counted - lot.wiped - lot.destroyed - lot.reported_missing, 0)


def lots_of(session: Session, batch_id: int) -> list[MaterialLot]:
    return list(session.scalars(sa.select(MaterialLot).where(MaterialLot.batch_id == batch_id)
                                .order_by(MaterialLot.category)))


@dataclass(frozen=True)
class LotLine:
    """A lot as reconciled: what the site declared beside what the dock found, and what is left to account for."""
    lot: MaterialLot
    count_difference: int | None        # received - declared
    weight_difference: Decimal | None
    unaccounted: int                    # data-bearing pieces not yet wiped, destroyed or reported
    pieces: Pieces | None = None        # a data-bearing lot's accounting (None for other lots)

    @property
    def exception(self) -> bool:
        return bool(self.count_difference) or bool(self.unaccounted and self.lot.category in DATA_LOTS)


def reconcile_lots(session: Session, batch_id: int) -> list[LotLine]:
    out = []
    lots = lots_of(session, batch_id)
    accounted = pieces_accounted(session, batch_id) if any(lot.category in DATA_LOTS for lot in lots) else {}
    for lot in lots:
        dc = (lot.received_count - lot.declared_count) \
            if lot.received_count is not None and lot.declared_count is not None else None
        dw = (lot.received_weight_kg - lot.declared_weight_kg) \
            if lot.received_weight_kg is not None and lot.declared_weight_kg is not None else None
        data = lot.category in DATA_LOTS
        out.append(LotLine(lot, dc, dw, unaccounted(lot) if data else 0,
                           accounted.get(lot.id, Pieces({}, {}, 0, ())) if data else None))
    return out


def closing_blockers(session: Session, batch_id: int) -> list[str]:
    """Data-bearing pieces counted at the site and not yet wiped, destroyed or reported missing."""
    return [f"{unaccounted(lot)} {lot.category.replace('_', ' ')} counted at the site are neither wiped nor destroyed "
            "nor reported missing" for lot in lots_of(session, batch_id)
            if lot.category in DATA_LOTS and unaccounted(lot)]


# ---------------------------------------------------------------- downstream vendors and shipments

def add_vendor(session: Session, actor: User, name: str, address: str | None = None) -> DownstreamVendor:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("A vendor has a name (at most 200 characters).", code="vendor_name")
    if session.scalar(sa.select(DownstreamVendor.id).where(sa.func.lower(DownstreamVendor.name) == name.lower())):
        raise Conflict(f"A vendor named {name} exists already.", code="vendor_exists", details={"needs": []})
    row = DownstreamVendor(name=name, address=bounded(address, "address", 500))
    session.add(row)
    session.flush()
    audit_log.record(session, "vendor_added", actor=actor, subject=f"vendor {name}", after={"name": name})
    return row


def vendors(session: Session) -> list[DownstreamVendor]:
    return list(session.scalars(sa.select(DownstreamVendor).order_by(DownstreamVendor.name)))


def get_vendor(session: Session, vendor_id: int) -> DownstreamVendor:
    row = session.get(DownstreamVendor, vendor_id)
    if row is None:
        raise NotFound(f"No vendor with id {vendor_id}.")
    return row


def add_certification(session: Session, actor: User, vendor: DownstreamVendor, *, standard: str,
                      certificate_number: str, valid_from: date, expires_on: date) -> VendorCertification:
    if standard not in STANDARDS:
        raise Invalid(f"A certification is one of {', '.join(STANDARDS)}.", code="unknown_standard")
    certificate_number = bounded(certificate_number, "certificate number", 80)
    if not certificate_number:
        raise Invalid("Give the certificate's number.", code="certificate_number")
    if expires_on < valid_from:
        raise Invalid("A certification expires after it starts.", code="invalid_dates")
    row = VendorCertification(vendor_id=vendor.id, standard=standard, certificate_number=certificate_number,
                              valid_from=valid_from, expires_on=expires_on)
    session.add(row)
    session.flush()
    audit_log.record(session, "vendor_certification_added", actor=actor, subject=f"vendor {vendor.name}",
                     after={"standard": standard, "number": row.certificate_number,
                            "valid_from": valid_from.isoformat(), "expires_on": expires_on.isoformat()})
    return row


def certifications_of(session: Session, vendor_id: int) -> list[VendorCertification]:
    return certifications_by_vendor(session, [vendor_id])[vendor_id]


def certifications_by_vendor(session: Session, vendor_ids: list[int]) -> dict[int, list[VendorCertification]]:
    """{vendor id: its certifications, the latest expiry first}, for many vendors in one query."""
    out: dict[int, list[VendorCertification]] = {i: [] for i in vendor_ids}
    if vendor_ids:
        for c in session.scalars(sa.select(VendorCertification).where(VendorCertification.vendor_id.in_(vendor_ids))
                                 .order_by(VendorCertification.expires_on.desc(), VendorCertification.id)):
            out[c.vendor_id].append(c)
    return out


def valid_certification(session: Session, vendor_id: int, on: date) -> VendorCertification | None:
    """The vendor's certification valid on `on` that runs longest (R2v3 and e-Stewards before ISO 14001 alone)."""
    rows = [c for c in certifications_of(session, vendor_id) if c.valid_from <= on <= c.expires_on]
    rows.sort(key=lambda c: (c.standard == "ISO 14001", -c.expires_on.toordinal()))
    return rows[0] if rows else None


def ship(session: Session, actor: User, vendor: DownstreamVendor, *, stream: str, purpose: str, weight_kg,
         shipped_on: date, reference: str | None = None,
         allocations: list[tuple[int, Decimal]] | None = None) -> OutboundShipment:
    """Ship a material stream to a vendor certified on the shipping day; its weight allocated to the batches it came
    from (at most the shipment's weight in all)."""
    stream = (stream or "").strip().lower()
    if not stream or len(stream) > 60:
        raise Invalid("Name the material stream (circuit boards, plastics, batteries, CRT glass...).", code="stream")
    if purpose not in PURPOSES:
        raise Invalid(f"A shipment's purpose is {' or '.join(PURPOSES)}.", code="unknown_purpose")
    weight = _kg(weight_kg)
    if not weight:
        raise Invalid("A shipment weighs more than 0 kg.", code="invalid_weight")
    if shipped_on > date.today():
        raise Invalid("A shipment is recorded once it has left: its day cannot be still to come.", code="future_shipment")
    cert = valid_certification(session, vendor.id, shipped_on)
    if cert is None:
        latest = certifications_of(session, vendor.id)
        said = (f"its certification {latest[0].standard} {latest[0].certificate_number} runs "
                f"{latest[0].valid_from.isoformat()} to {latest[0].expires_on.isoformat()}") if latest \
            else "it has no certification on record"
        raise Conflict(f"{vendor.name} holds no certification valid on {shipped_on.isoformat()} ({said}); material "
                       "goes only to a vendor certified on the day it ships.", code="vendor_not_certified",
                       details={"needs": ["add a valid certification"]})
    parts = [(int(b), _kg(w)) for b, w in (allocations or [])]
    if any(not w for _, w in parts):
        raise Invalid("Each batch's share of a shipment weighs more than 0 kg.", code="invalid_allocation")
    if sum((w for _, w in parts), ZERO) > weight:
        raise Invalid(f"The batches' shares add up to more than the shipment's {weight} kg.", code="over_allocated")
    if len({b for b, _ in parts}) != len(parts):
        raise Invalid("Name each batch once.", code="invalid_allocation")
    row = OutboundShipment(vendor_id=vendor.id, certification_id=cert.id, stream=stream, purpose=purpose,
                           weight_kg=weight, shipped_on=shipped_on, reference=bounded(reference, "reference", 120),
                           created_by_id=actor.id)
    session.add(row)
    session.flush()
    for batch_id, share in sorted(parts):
        if session.get(Batch, batch_id) is None:
            raise NotFound(f"No batch with id {batch_id}.")
        custody.lock_batch(session, batch_id)
        session.add(ShipmentAllocation(shipment_id=row.id, batch_id=batch_id, weight_kg=share))
        custody.append(session, batch_id, device_id=None, actor=actor, action="shipped_downstream", evidence={
            "shipment_id": row.id, "vendor": vendor.name, "certification": f"{cert.standard} {cert.certificate_number}",
            "certification_expires_on": cert.expires_on.isoformat(), "stream": stream, "purpose": purpose,
            "weight_kg": str(share), "shipped_on": shipped_on.isoformat()})
    session.flush()
    return row


def shipments_of_batch(session: Session, batch_id: int):
    """[(allocation, shipment, vendor, certification)] of one batch, by shipping day."""
    return session.execute(
        sa.select(ShipmentAllocation, OutboundShipment, DownstreamVendor, VendorCertification)
        .join(OutboundShipment, OutboundShipment.id == ShipmentAllocation.shipment_id)
        .join(DownstreamVendor, DownstreamVendor.id == OutboundShipment.vendor_id)
        .join(VendorCertification, VendorCertification.id == OutboundShipment.certification_id)
        .where(ShipmentAllocation.batch_id == batch_id)
        .order_by(OutboundShipment.shipped_on, OutboundShipment.id)).all()
