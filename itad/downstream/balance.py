"""Where the weight went: the mass balance of a batch (or of the batches a client's dock received in a period), and
the environmental summary built on it.

    in        the lots weighed at the dock, the batch's serialized units among them (the "devices" lot)
    resold    the units sold whole from stock (and kept: a return brings a unit back)
    reused    shipments for reuse (parts, bulk lots to refurbishers), the share allocated to the batch
    recycled  shipments to recyclers, the share allocated to the batch
    in stock  units still in our hands, and lots not yet processed into the outbound streams
    difference = in - (resold + reused + recycled + in stock): material processed (destroyed units, shredded lots)
              and not yet shipped, or lost. It is shown as it is, never spread over the other lines.

Units are weighed together, so a unit's weight is the devices lot's weight over the units received (the batch's
average); without a devices lot the units' share is unknown, and the balance says so instead of guessing.
CO2e avoided by reuse: each unit resold whole, times its category's published factor (itad.downstream.impact),
the source printed beside the figure; a category without a factor is named and not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.downstream import impact
from itad.models import Batch, Device, MaterialLot, OutboundShipment, ShipmentAllocation

ZERO = Decimal("0.00")
RECEIVED = ("received", "sanitized", "verified", "graded", "cleared", "in_inventory", "sold", "returned",
            "quarantined", "destroyed")
HELD = ("received", "sanitized", "verified", "graded", "cleared", "in_inventory", "returned", "quarantined")


@dataclass
class Reuse:
    """The units of one category resold whole, and the factor (with its source) their reuse is counted by."""
    units: int
    factor: Decimal
    source: str

    @property
    def co2e_kg(self) -> Decimal:
        return self.factor * self.units


@dataclass
class Balance:
    weight_in: Decimal = ZERO
    resold: Decimal = ZERO
    reused: Decimal = ZERO
    recycled: Decimal = ZERO
    in_stock: Decimal = ZERO
    units_received: int = 0
    units_sold: int = 0
    units_held: int = 0
    unweighed: list[str] = field(default_factory=list)   # what the figures leave out, in words
    reuse: dict[str, Reuse] = field(default_factory=dict)   # category -> units resold whole, with a factor
    no_factor: Counter = field(default_factory=Counter)  # category -> units resold with no factor

    @property
    def difference(self) -> Decimal:
        return self.weight_in - self.resold - self.reused - self.recycled - self.in_stock

    @property
    def co2e_avoided(self) -> Decimal:
        return sum((r.co2e_kg for r in self.reuse.values()), ZERO)

    @property
    def co2e_lines(self) -> list[tuple[str, int, Decimal, Decimal, str]]:
        """(category, units, factor, kg CO2e, source), by category."""
        return [(c, r.units, r.factor, r.co2e_kg, r.source) for c, r in sorted(self.reuse.items())]

    def add(self, other: "Balance") -> None:
        for name in ("weight_in", "resold", "reused", "recycled", "in_stock", "units_received", "units_sold",
                     "units_held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unweighed += other.unweighed
        self.no_factor += other.no_factor
        for category, r in other.reuse.items():
            mine = self.reuse.setdefault(category, Reuse(0, r.factor, r.source))
            mine.units += r.units


def of_batch(session: Session, batch: Batch, factors: dict[str, impact.Factor] | None = None) -> Balance:
    """The batch's balance; `factors` (impact.factors) when balancing many batches, read once."""
    b = Balance()
    lots = session.scalars(sa.select(MaterialLot).where(MaterialLot.batch_id == batch.id)).all()
    states = Counter(dict(session.execute(sa.select(Device.state, sa.func.count()).where(Device.batch_id == batch.id)
                                          .group_by(Device.state)).all()))
    b.units_received = sum(states[s] for s in RECEIVED)
    b.units_sold = states["sold"]
    b.units_held = sum(states[s] for s in HELD)
    devices_lot = next((lot for lot in lots if lot.category == "devices"), None)
    for lot in lots:
        if lot.received_weight_kg is None:
            b.unweighed.append(f"{batch.reference}: the {lot.category.replace('_', ' ')} lot is not weighed")
            continue
        b.weight_in += lot.received_weight_kg
        if lot.category != "devices" and lot.processed_at is None:
            b.in_stock += lot.received_weight_kg
    if devices_lot is not None and devices_lot.received_weight_kg is not None and b.units_received:
        unit = devices_lot.received_weight_kg / b.units_received
        b.resold = (unit * b.units_sold).quantize(Decimal("0.01"))
        b.in_stock += (unit * b.units_held).quantize(Decimal("0.01"))
    elif b.units_received:
        b.unweighed.append(f"{batch.reference}: its {b.units_received} unit(s) were not weighed (no devices lot), "
                           "so what was resold or is in stock of them has no weight")
    for purpose, kg in session.execute(
            sa.select(OutboundShipment.purpose, ShipmentAllocation.weight_kg)
            .join(OutboundShipment, OutboundShipment.id == ShipmentAllocation.shipment_id)
            .where(ShipmentAllocation.batch_id == batch.id)).all():
        if purpose == "reuse":
            b.reused += kg
        else:
            b.recycled += kg
    factors = factors if factors is not None else impact.factors(session)
    sold: Counter = Counter()
    for category, units in session.execute(sa.select(Device.category, sa.func.count())
                                           .where(Device.batch_id == batch.id, Device.state == "sold")
                                           .group_by(Device.category)):
        sold[(category or "").strip().lower()] += units      # spellings of one category counted together
    for category, units in sorted(sold.items()):
        factor = factors.get(category)
        if factor is None:
            b.no_factor[category or "(no category)"] += units
            continue
        b.reuse[category] = Reuse(units, factor.co2e_avoided_kg, factor.source)
    return b


def of_period(session: Session, start: date, end: date,
              organization_id: int | None = None) -> tuple[Balance, list[tuple[Batch, Balance]]]:
    """The batches whose lots the dock received from `start` to `end` (UTC days), of one client or (None) of every
    client, the operator's whole dock: each balanced, and their sum."""
    since = datetime.combine(start, time.min, tzinfo=timezone.utc)
    until = datetime.combine(end, time.max, tzinfo=timezone.utc)
    stmt = (sa.select(MaterialLot.batch_id).join(Batch, Batch.id == MaterialLot.batch_id)
            .where(MaterialLot.received_at >= since, MaterialLot.received_at <= until).distinct())
    if organization_id is not None:
        stmt = stmt.where(Batch.organization_id == organization_id)
    ids = session.scalars(stmt).all()
    total, rows, factors = Balance(), [], impact.factors(session)
    for batch in session.scalars(sa.select(Batch).where(Batch.id.in_(ids)).order_by(Batch.id)):
        one = of_batch(session, batch, factors)
        total.add(one)
        rows.append((batch, one))
    return total, rows
