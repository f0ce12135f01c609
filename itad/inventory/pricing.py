"""A suggested price per SKU from what the same units really sold for. Never invented.

The median of the most recent sales (at most `max_sales`) of the same model and grade, sold within
`window_days` up to `as_of` in the same currency. With none, the same model in any grade; with none
of those either, no price at all. The answer always says what it rests on (basis and sales_count).
The median of an even count is the mean of the middle two, rounded half-up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.inventory.money import to_cents
from itad.inventory.stock import model_key
from itad.models import InventoryItem, Sale, kept

WINDOW_DAYS = 90
MAX_SALES = 20


@dataclass(frozen=True)
class Suggestion:
    sku: str
    currency: str
    price: Decimal | None
    basis: str                    # "model_and_grade", "model", or "none"
    sales_count: int              # how many sales the price rests on
    window_start: date            # first day counted (inclusive)
    window_end: date              # as_of (inclusive)


def median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return to_cents(ordered[mid])
    return to_cents((ordered[mid - 1] + ordered[mid]) / 2)


def _recent_prices(session: Session, where, currency: str, start: date, end: date, max_sales: int) -> list[Decimal]:
    rows = session.scalars(
        sa.select(Sale.price).where(where, Sale.currency == currency, Sale.sold_on >= start, Sale.sold_on <= end, kept())
        .order_by(Sale.sold_on.desc(), Sale.id.desc()).limit(max_sales)
    ).all()
    return [Decimal(str(p)) for p in rows]


def _window(as_of: date | None, window_days: int) -> tuple[date, date]:
    end = as_of or date.today()
    return end - timedelta(days=window_days - 1), end


def _suggest(session: Session, key: str, grade: str | None, sku: str, currency: str, as_of: date | None,
             window_days: int, max_sales: int) -> Suggestion:
    start, end = _window(as_of, window_days)
    tiers = [("model", Sale.model_key == key)]
    if grade is not None:
        tiers.insert(0, ("model_and_grade", sa.and_(Sale.model_key == key, Sale.grade == grade)))
    for basis, where in tiers:
        prices = _recent_prices(session, where, currency, start, end, max_sales)
        if prices:
            return Suggestion(sku, currency, median(prices), basis, len(prices), start, end)
    return Suggestion(sku, currency, None, "none", 0, start, end)


def suggest(session: Session, *, manufacturer: str | None, model: str | None, grade: str | None, sku: str,
            currency: str, as_of: date | None = None, window_days: int = WINDOW_DAYS,
            max_sales: int = MAX_SALES) -> Suggestion:
    return _suggest(session, model_key(manufacturer, model), grade, sku, currency, as_of, window_days, max_sales)


def suggest_for_sku(session: Session, sku: str, *, currency: str, as_of: date | None = None,
                    window_days: int = WINDOW_DAYS, max_sales: int = MAX_SALES) -> Suggestion:
    """The SKU's model and grade are read from a stock row or a past sale that carries it."""
    sku = sku.strip().upper()
    item = session.scalars(sa.select(InventoryItem).where(InventoryItem.sku == sku).limit(1)).first()
    if item is not None:
        key, grade = model_key(item.manufacturer, item.model), item.grade
    else:
        sale = session.scalars(sa.select(Sale).where(Sale.sku == sku).limit(1)).first()
        if sale is None:
            start, end = _window(as_of, window_days)
            return Suggestion(sku, currency, None, "none", 0, start, end)
        key, grade = sale.model_key, sale.grade
    return _suggest(session, key, grade, sku, currency, as_of, window_days, max_sales)


def suggest_for_items(session: Session, items: list[InventoryItem], *, as_of: date | None = None) -> dict[int, Suggestion]:
    """{item id: suggestion} for a page of stock, one look-up per SKU and currency (not per unit)."""
    seen: dict[tuple[str, str], Suggestion] = {}
    out = {}
    for item in items:
        key = (item.sku, item.currency)
        if key not in seen:
            seen[key] = suggest(session, manufacturer=item.manufacturer, model=item.model, grade=item.grade,
                                sku=item.sku, currency=item.currency, as_of=as_of)
        out[item.id] = seen[key]
    return out
