"""What a client is owed for the units of one batch that were resold.

Per currency: units sold, gross (sum of prices), fees (what the sales channels kept), net = gross - fees,
the client's share = net x their percentage, rounded ROUND_HALF_UP to the cent once on the total, and the
operator's share = net - client's share (so the two always add up to the net exactly). The percentage
is the client's SettlementTerms; with none set there is no settlement (409): a share is never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Conflict, Invalid
from itad.inventory.money import ROUNDING_RULE, to_cents
from itad.models import Batch, Device, Organization, Sale, SettlementTerms, User, utcnow

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class SettlementLine:
    sale_id: int
    device_id: int
    serial: str
    sku: str
    sold_on: date
    currency: str
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    units_sold: int
    gross: Decimal
    fees: Decimal
    net: Decimal
    client_share: Decimal
    operator_share: Decimal


@dataclass(frozen=True)
class Settlement:
    batch_id: int
    batch_reference: str
    client_id: int
    client_name: str
    client_share_percent: Decimal
    rounding: str
    lines: list[SettlementLine] = field(default_factory=list)
    totals: list[CurrencyTotal] = field(default_factory=list)
    generated_at: object = None


def set_terms(session: Session, actor: User, organization_id: int, client_share_percent: Decimal,
              note: str | None = None) -> SettlementTerms:
    """Set (or change) a client's share of resale proceeds, in percent of the net."""
    if not (Decimal(0) <= client_share_percent <= Decimal(100)):
        raise Invalid("client_share_percent must be between 0 and 100.", code="invalid_share")
    terms = session.scalar(sa.select(SettlementTerms).where(SettlementTerms.organization_id == organization_id))
    if terms is None:
        terms = SettlementTerms(organization_id=organization_id)
        session.add(terms)
    terms.client_share_percent, terms.note, terms.updated_by_id = client_share_percent, note, actor.id
    terms.updated_at = utcnow()
    session.flush()
    return terms


def totals(lines: list[SettlementLine], percent: Decimal) -> list[CurrencyTotal]:
    """The arithmetic, on its own so it can be checked figure by figure."""
    out = []
    for currency in sorted({line.currency for line in lines}):
        mine = [line for line in lines if line.currency == currency]
        gross = sum((line.price for line in mine), ZERO)
        fees = sum((line.fee for line in mine), ZERO)
        net = gross - fees
        client = to_cents(net * percent / Decimal(100))
        out.append(CurrencyTotal(currency, len(mine), gross, fees, net, client, net - client))
    return out


def settle_batch(session: Session, batch: Batch) -> Settlement:
    """The settlement of one batch (the caller has checked the reader may see it)."""
    org = session.get(Organization, batch.organization_id)
    terms = session.scalar(sa.select(SettlementTerms).where(SettlementTerms.organization_id == org.id))
    if terms is None:
        raise Conflict(f"No settlement terms are set for {org.name}; an admin sets the client's share first.",
                       code="no_settlement_terms", details={"organization_id": org.id,
                                                            "needs": ["set settlement terms"]})
    rows = session.execute(
        sa.select(Sale, Device.serial).join(Device, Device.id == Sale.device_id)
        .where(Sale.batch_id == batch.id).order_by(Sale.sold_on, Sale.id)
    ).all()
    lines = [SettlementLine(s.id, s.device_id, serial, s.sku, s.sold_on, s.currency,
                            to_cents(Decimal(str(s.price))), to_cents(Decimal(str(s.fee)))) for s, serial in rows]
    percent = Decimal(str(terms.client_share_percent)).quantize(Decimal("0.01"))
    return Settlement(batch.id, batch.reference, org.id, org.name, percent, ROUNDING_RULE, lines,
                      totals(lines, percent), utcnow())
