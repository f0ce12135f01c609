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
    """The batch's balance."""
    return of_batches(session, [batch], factors)[batch.id]


def of_batches(session: Session, batches: list[Batch],
               factors: dict[str, impact.Factor] | None = None) -> dict[int, Balance]:
    """{batch id: its balance}, read in four queries whatever the number of batches (lots, unit states, shipment
    allocations, units sold by category); `factors` (impact.factors) read once when not given."""
    ids = [batch.id for batch in batches]
    lots: dict[int, list[MaterialLot]] = {i: [] for i in ids}
    for lot in session.scalars(sa.select(MaterialLot).where(MaterialLot.batch_id.in_(ids)).order_by(MaterialLot.id)):
        lots[lot.batch_id].append(lot)
    states: dict[int, Counter] = {i: Counter() for i in ids}
    for bid, state, n in session.execute(sa.select(Device.batch_id, Device.state, sa.func.count())
                                         .where(Device.batch_id.in_(ids)).group_by(Device.batch_id, Device.state)):
        states[bid][state] += n
    shipped: dict[int, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    for bid, purpose, kg in session.execute(
            sa.select(ShipmentAllocation.batch_id, OutboundShipment.purpose, ShipmentAllocation.weight_kg)
            .join(OutboundShipment, OutboundShipment.id == ShipmentAllocation.shipment_id)
            .where(ShipmentAllocation.batch_id.in_(ids))):
        shipped[bid].append((purpose, kg))
    sold: dict[int, Counter] = {i: Counter() for i in ids}
    for bid, category, units in session.execute(
            sa.select(Device.batch_id, Device.category, sa.func.count())
            .where(Device.batch_id.in_(ids), Device.state == "sold").group_by(Device.batch_id, Device.category)):
        sold[bid][(category or "").strip().lower()] += units      # spellings of one category counted together
    factors = factors if factors is not None else impact.factors(session)
    return {batch.id: _balance(batch, lots[batch.id], states[batch.id], shipped[batch.id], sold[batch.id], factors)
            for batch in batches}


def _balance(batch: Batch, lots: list[MaterialLot], states: Counter, shipped: list[tuple[str, Decimal]],
             sold: Counter, factors: dict[str, impact.Factor]) -> Balance:
    b = Balance()
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
    for purpose, kg in shipped:
        if purpose == "reuse":
            b.reused += kg
        else:
            b.recycled += kg
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
    batches = session.scalars(sa.select(Batch).where(Batch.id.in_(ids)).order_by(Batch.id)).all()
    balances = of_batches(session, batches)
    total, rows = Balance(), [(batch, balances[batch.id]) for batch in batches]
    for _, one in rows:
        total.add(one)
    return total, rows
