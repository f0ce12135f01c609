"""Buy quotes: what a batch's units are expected to fetch, made from its asset list before they ship, and how
accurate the quotes proved once the units sold.

A quote reads the sales history in its currency up to the day before `as_of`, estimates each asset-list line
(itad.inventory.estimate: the model's recent, recency-weighted, grade-neutral price line; else its family's;
else its category's; the basis is kept per line) and is written as it was made: a quote row and one row per
line, in one executemany. A line nothing in the history can price has no value and says so ("none"); the total
is the sum of the priced lines, and the quote counts the unpriced ones beside it.

Accuracy sets each sale against the line of the latest quote of its batch made on or before the sale day: the
mean absolute percentage error, the median absolute percentage error, and the bias (the median signed error:
above zero, quotes ran high), overall and by category, model and month of sale.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import batches
from itad.errors import Conflict
from itad.inventory import estimate, purchase_dates
from itad.inventory.money import to_cents
from itad.inventory.stock import model_key, require_currency
from itad.models import Batch, Device, InventoryItem, Quote, QuoteLine, Sale, User, kept
from itad.pagination import Window, window

METHOD = (f"recency-weighted (half-life {estimate.HALF_LIFE_DAYS:g} days) grade-neutral price line per model, "
          f"read {estimate.HORIZON_DAYS} days ahead; family, then category, where a model has no sale; "
          "moved for age where the list dates the purchase")


def history(session: Session, currency: str, as_of: date) -> list[estimate.Sold]:
    """The sales an estimate reads: those in `currency` in the year before `as_of`, as plain rows, each with its
    unit's purchase date where its asset list gave one (read per batch, as each list's column is)."""
    start = as_of - timedelta(days=estimate.LOOKBACK_DAYS)
    rows = session.execute(
        sa.select(Sale.sold_on, InventoryItem.category, Sale.model_key, Sale.grade, Sale.price, Sale.batch_id,
                  Device.attributes)
        .join(InventoryItem, InventoryItem.id == Sale.item_id).join(Device, Device.id == Sale.device_id)
        .where(Sale.currency == currency, Sale.sold_on >= start, Sale.sold_on < as_of, kept())).all()
    by_batch: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_batch[row.batch_id].append(i)
    bought: list[date | None] = [None] * len(rows)
    for indexes in by_batch.values():
        read = purchase_dates.read_column([purchase_dates.written_in(rows[i].attributes) for i in indexes], as_of)
        for i, purchase in zip(indexes, read):
            bought[i] = purchase.day
    return [estimate.Sold(row.sold_on, (row.category or "").strip().lower(), row.model_key, row.grade,
                          float(row.price), day) for row, day in zip(rows, bought)]


def quote_batch(session: Session, actor: User, batch: Batch, *, currency: str = "EUR",
                as_of: date | None = None) -> Quote:
    """Quote every asset-list line of the batch (the tenant rule holds: the caller got the batch through it)."""
    require_currency(currency)
    if batch.status != "open":
        raise Conflict(f"Batch {batch.reference} is closed: its units are counted and sold by now, not quoted.",
                       code="batch_closed", details={"needs": []})
    as_of = as_of or date.today()
    estimator = estimate.Estimator(history(session, currency, as_of), as_of)
    devices = session.execute(
        sa.select(Device.id, Device.category, Device.manufacturer, Device.model, Device.attributes)
        .where(Device.batch_id == batch.id, Device.manifest_row.is_not(None)).order_by(Device.id)).all()
    bought = purchase_dates.read_column([purchase_dates.written_in(d.attributes) for d in devices], as_of)
    lines, total, bases, aged = [], Decimal("0.00"), defaultdict(int), 0
    for (device_id, category, make, model, _), purchase in zip(devices, bought):
        key = model_key(make, model)
        found = estimator.estimate((category or "").strip().lower(), key, purchase.day)
        expected = to_cents(Decimal(repr(found.value))) if found.value is not None else None
        if expected is not None:
            total += expected
        bases[found.basis] += 1
        aged += found.age_factor is not None
        lines.append({"device_id": device_id, "category": category, "model_key": key, "expected": expected,
                      "basis": found.basis, "sales_count": found.sales, "purchased_on": purchase.day,
                      "age_factor": round(Decimal(repr(found.age_factor)), 4) if found.age_factor is not None else None,
                      "age_note": _age_note(purchase, found)})
    quote = Quote(batch_id=batch.id, organization_id=batch.organization_id, currency=currency, as_of=as_of,
                  total=total, lines=len(lines), unpriced=bases.get("none", 0), bases=dict(bases), method=METHOD,
                  aged=aged, created_by_id=actor.id if actor else None)
    session.add(quote)
    session.flush()
    if lines:
        session.execute(sa.insert(QuoteLine), [{"quote_id": quote.id, **line} for line in lines])
    return quote


def _age_note(purchase: purchase_dates.Purchase, found: estimate.Estimate) -> str | None:
    """Why a line's age did not move its value, where its list wrote a purchase date (None where it did, or where
    the list gives no date)."""
    if purchase.why:
        return f"purchase date {purchase.written!r} not used: {purchase.why}"
    if purchase.day is not None and found.age_factor is None and found.value is not None:
        return "no sale of a unit with a known purchase date to learn the effect of age from"
    return None


def latest(session: Session, user: User, batch_id: int) -> Quote | None:
    batch = batches.get_batch(session, user, batch_id)
    return session.scalar(sa.select(Quote).where(Quote.batch_id == batch.id).order_by(Quote.id.desc()).limit(1))


def lines_of(session: Session, quote: Quote, *, limit: int = 100, after: int | None = None) -> Window:
    stmt = sa.select(QuoteLine).where(QuoteLine.quote_id == quote.id)
    return window(session, stmt, QuoteLine.id, limit, after=after)


# ---------------------------------------------------------------- accuracy

@dataclass(frozen=True)
class Errors:
    """How far quotes were from what the units sold for, as shares of the price realised."""
    sales: int
    mape: float | None            # mean absolute percentage error
    median_ape: float | None      # median absolute percentage error
    bias: float | None            # median signed error: above zero, the quotes ran high
    quoted: Decimal               # the sum quoted for these units
    realised: Decimal             # the sum they sold for

    @classmethod
    def of(cls, pairs: list[tuple[Decimal, Decimal]]) -> "Errors":
        signed = [float((q - r) / r) for q, r in pairs]
        absolute = [abs(e) for e in signed]
        return cls(len(pairs), statistics.mean(absolute) if absolute else None,
                   statistics.median(absolute) if absolute else None, statistics.median(signed) if signed else None,
                   sum((q for q, _ in pairs), Decimal("0.00")), sum((r for _, r in pairs), Decimal("0.00")))


@dataclass(frozen=True)
class Accuracy:
    overall: Errors
    by_category: dict[str, Errors] = field(default_factory=dict)
    by_model: dict[str, Errors] = field(default_factory=dict)
    by_month: dict[str, Errors] = field(default_factory=dict)     # "2026-11": sales of that month
    by_basis: dict[str, Errors] = field(default_factory=dict)


def quoted_sales(session: Session, *, organization_id: int | None = None, batch_id: int | None = None):
    """(category, model key, basis, sold on, quoted, realised) for each sale whose batch was quoted before it sold,
    against the latest such quote."""
    later = sa.orm.aliased(Quote)
    stmt = (sa.select(QuoteLine.category, QuoteLine.model_key, QuoteLine.basis, Sale.sold_on, QuoteLine.expected,
                      Sale.price)
            .join(Quote, Quote.id == QuoteLine.quote_id)
            .join(Sale, Sale.device_id == QuoteLine.device_id)
            .where(QuoteLine.expected.is_not(None), Quote.currency == Sale.currency, Quote.as_of <= Sale.sold_on, kept(),
                   ~sa.exists().where(later.batch_id == Quote.batch_id, later.id > Quote.id,
                                      later.as_of <= Sale.sold_on, later.currency == Quote.currency)))
    if organization_id is not None:
        stmt = stmt.where(Sale.organization_id == organization_id)
    if batch_id is not None:
        stmt = stmt.where(Sale.batch_id == batch_id)
    return session.execute(stmt.order_by(Sale.sold_on)).all()


def accuracy(session: Session, *, organization_id: int | None = None, batch_id: int | None = None) -> Accuracy:
    rows = quoted_sales(session, organization_id=organization_id, batch_id=batch_id)
    groups: dict[str, dict[str, list]] = {"category": defaultdict(list), "model": defaultdict(list),
                                          "month": defaultdict(list), "basis": defaultdict(list)}
    pairs = []
    for category, key, basis, sold_on, quoted, realised in rows:
        pair = (Decimal(str(quoted)), Decimal(str(realised)))
        pairs.append(pair)
        groups["category"][category or "—"].append(pair)
        groups["model"][key].append(pair)
        groups["month"][sold_on.strftime("%Y-%m")].append(pair)
        groups["basis"][basis].append(pair)
    by = {name: {k: Errors.of(v) for k, v in sorted(g.items())} for name, g in groups.items()}
    return Accuracy(Errors.of(pairs), by["category"], by["model"], by["month"], by["basis"])
