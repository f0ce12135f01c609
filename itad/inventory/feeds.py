"""Stock as files: the operator's CSV export, and a listing feed in the columns marketplaces take.

The listing feed has one row per SKU with its available quantity (reserved units are held, so not
offered). Its price is the operator's asking price in the feed's currency (the latest listed unit
that has one), else the suggested price from real sales; a SKU with neither is left out, never
priced by guess, and counted in `unpriced`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from itad import spreadsheets
from itad.inventory.conditions import mapping
from itad.inventory.money import fmt
from itad.inventory.pricing import suggest
from itad.inventory.stock import context_of
from itad.models import InventoryItem, StockStatus

EXPORT_COLUMNS = ["id", "sku", "status", "category", "manufacturer", "model", "grade", "serial", "batch_id",
                  "batch_reference", "client", "location", "list_price", "currency", "reserved_for",
                  "withdrawn_reason", "listed_at"]
LISTING_COLUMNS = ["sku", "title", "condition_grade", "price", "currency", "quantity"]


def inventory_csv(session: Session, items: list[InventoryItem]) -> str:
    ctx = context_of(session, items)
    buf = io.StringIO()
    w = spreadsheets.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    for i in items:
        serial, reference, client = ctx.get(i.id, ("", "", ""))
        w.writerow([i.id, i.sku, i.status, i.category or "", i.manufacturer or "", i.model or "", i.grade or "",
                    serial, i.batch_id, reference, client, i.location or "", fmt(i.list_price), i.currency,
                    i.reserved_for or "", i.withdrawn_reason or "", i.created_at.isoformat()])
    return buf.getvalue()


def title_of(item: InventoryItem) -> str:
    words = [item.manufacturer, item.model, f"({item.category})" if item.category else None]
    grade = f"- Grade {item.grade}" if item.grade else None
    return " ".join(w for w in words + [grade] if w)


@dataclass
class Listing:
    csv: str
    rows: int
    unpriced: list[str]
    unmapped: list[str]        # SKUs left out: their grade has no condition for the marketplace


def listing_feed(session: Session, items: list[InventoryItem], *, currency: str, as_of: date | None = None,
                 marketplace: str | None = None) -> Listing:
    """With a marketplace, each row also carries that marketplace's condition for the grade (itad.inventory.
    conditions); a SKU whose grade it has no condition for is left out and listed in `unmapped`."""
    conditions = mapping(session, marketplace) if marketplace else None
    by_sku: dict[str, list[InventoryItem]] = {}
    for i in items:
        if i.status == StockStatus.available.value:
            by_sku.setdefault(i.sku, []).append(i)
    buf = io.StringIO()
    w = spreadsheets.writer(buf, lineterminator="\n")
    w.writerow(LISTING_COLUMNS + (["condition"] if conditions is not None else []))
    rows, unpriced, unmapped = 0, [], []
    for sku in sorted(by_sku):
        units = by_sku[sku]
        if conditions is not None and conditions.get(units[0].grade or "") is None:
            unmapped.append(sku)
            continue
        asked = [u for u in units if u.list_price is not None and u.currency == currency]
        if asked:
            price = max(asked, key=lambda u: u.id).list_price
        else:
            first = units[0]
            price = suggest(session, manufacturer=first.manufacturer, model=first.model, grade=first.grade, sku=sku,
                            currency=currency, as_of=as_of).price
        if price is None:
            unpriced.append(sku)
            continue
        w.writerow([sku, title_of(units[0]), units[0].grade or "", fmt(price), currency, len(units)]
                   + ([conditions[units[0].grade or ""]] if conditions is not None else []))
        rows += 1
    return Listing(buf.getvalue(), rows, unpriced, unmapped)
