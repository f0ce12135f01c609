"""What a client is owed for the units of one batch that were resold.

Per currency: units sold, gross (sum of prices), fees (what the sales channels kept: a sale's fee less what the
channel gave back when the unit was returned), refunds (what returned units' buyers got back), net = gross - fees -
refunds,
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

from itad import audit_log
from itad.errors import Conflict, Invalid
from itad.inventory.money import ROUNDING_RULE, to_cents
from itad.models import Batch, Device, Organization, Sale, SaleReturn, SettlementTerms, User, utcnow

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
    refund: Decimal = ZERO           # a return (itad.inventory.returns): what its buyer got back
    fee_returned: Decimal = ZERO     # and what the sales channel gave back of its fee
    returned_on: date | None = None


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    units_sold: int
    gross: Decimal
    fees: Decimal
    net: Decimal
    client_share: Decimal
    operator_share: Decimal
    refunds: Decimal = ZERO
    units_returned: int = 0


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
        raise Invalid("The client's share must be between 0 and 100 percent.", code="invalid_share")
    return audit_log.set_row(session, actor, SettlementTerms, {"organization_id": organization_id},
                             {"client_share_percent": client_share_percent, "note": note},
                             action="settlement_terms_changed", subject="settlement terms",
                             organization_id=organization_id)


def totals(lines: list[SettlementLine], percent: Decimal) -> list[CurrencyTotal]:
    """The arithmetic, on its own so it can be checked figure by figure."""
    out = []
    for currency in sorted({line.currency for line in lines}):
        mine = [line for line in lines if line.currency == currency]
        gross = sum((line.price for line in mine), ZERO)
        fees = sum((line.fee - line.fee_returned for line in mine), ZERO)
        refunds = sum((line.refund for line in mine), ZERO)
        net = gross - fees - refunds
        client = to_cents(net * percent / Decimal(100))
        out.append(CurrencyTotal(currency, len(mine), gross, fees, net, client, net - client, refunds,
                                 sum(1 for line in mine if line.returned_on is not None)))
    return out


def terms_of(session: Session, organization_id: int) -> SettlementTerms | None:
    return session.scalar(sa.select(SettlementTerms).where(SettlementTerms.organization_id == organization_id))


def client_share_percent(session: Session, org: Organization) -> Decimal:
    """The client's share in percent (two places); 409 when none is set: a share is never assumed."""
    terms = terms_of(session, org.id)
    if terms is None:
        raise Conflict(f"No settlement terms are set for {org.name}; an admin sets the client's share first.",
                       code="no_settlement_terms", details={"organization_id": org.id,
                                                            "needs": ["set settlement terms"]})
    return Decimal(str(terms.client_share_percent)).quantize(Decimal("0.01"))


def settle_batch(session: Session, batch: Batch) -> Settlement:
    """The settlement of one batch (the caller has checked the reader may see it)."""
    org = session.get(Organization, batch.organization_id)
    percent = client_share_percent(session, org)
    rows = session.execute(
        sa.select(Sale, Device.serial, SaleReturn).join(Device, Device.id == Sale.device_id)
        .outerjoin(SaleReturn, SaleReturn.sale_id == Sale.id)
        .where(Sale.batch_id == batch.id).order_by(Sale.sold_on, Sale.id)
    ).all()
    lines = [SettlementLine(s.id, s.device_id, serial, s.sku, s.sold_on, s.currency,
                            to_cents(Decimal(str(s.price))), to_cents(Decimal(str(s.fee))), *_returned(r))
             for s, serial, r in rows]
    return Settlement(batch.id, batch.reference, org.id, org.name, percent, ROUNDING_RULE, lines,
                      totals(lines, percent), utcnow())


def _returned(r: SaleReturn | None) -> tuple:
    if r is None:
        return ZERO, ZERO, None
    return to_cents(Decimal(str(r.refund))), to_cents(Decimal(str(r.fee_returned))), r.returned_on


@dataclass(frozen=True)
class BatchTotals:
    batch_id: int
    batch_reference: str
    totals: list[CurrencyTotal]


@dataclass(frozen=True)
class ClientOverview:
    """Every batch of one client with units sold, each settled on its own (as its statement says), and
    the sum of those per currency: what the client is owed is the sum of its batch statements."""

    client_id: int
    client_name: str
    client_share_percent: Decimal
    rounding: str
    batches: list[BatchTotals]
    owed: list[CurrencyTotal]


def _sum(rows: list[CurrencyTotal]) -> list[CurrencyTotal]:
    out = []
    for currency in sorted({t.currency for t in rows}):
        mine = [t for t in rows if t.currency == currency]
        out.append(CurrencyTotal(currency, *(sum(getattr(t, f) for t in mine) for f in
                                             ("units_sold", "gross", "fees", "net", "client_share",
                                              "operator_share", "refunds", "units_returned"))))
    return out


def client_overview(session: Session, org: Organization) -> ClientOverview:
    """The settlement of every batch of `org` that sold something (the caller has checked the reader
    may see `org`). One query for the sales; amounts are summed here, in Decimal, per batch."""
    percent = client_share_percent(session, org)
    rows = session.execute(
        sa.select(Sale.batch_id, Batch.reference, Sale.currency, Sale.price, Sale.fee, SaleReturn)
        .join(Batch, Batch.id == Sale.batch_id).outerjoin(SaleReturn, SaleReturn.sale_id == Sale.id)
        .where(Sale.organization_id == org.id)
        .order_by(Sale.batch_id.desc(), Sale.id)
    ).all()
    by_batch: dict[int, tuple[str, list[SettlementLine]]] = {}
    for batch_id, reference, currency, price, fee, returned in rows:
        # Only the figures feed the totals; the per-unit detail is the batch statement's.
        line = SettlementLine(0, 0, "", "", None, currency, to_cents(Decimal(str(price))), to_cents(Decimal(str(fee))),
                              *_returned(returned))
        by_batch.setdefault(batch_id, (reference, []))[1].append(line)
    batches = [BatchTotals(bid, ref, totals(lines, percent)) for bid, (ref, lines) in by_batch.items()]
    return ClientOverview(org.id, org.name, percent, ROUNDING_RULE, batches,
                          _sum([t for b in batches for t in b.totals]))
