"""Returns (RMA): a sold unit that comes back from its buyer under warranty, and what the returns say about grading.

A return names the sale, why the buyer sent the unit back (a reason from REASONS, with words where "other"), the
day it came back, and the money: the buyer's refund (by default the whole price) and what the sales channel gave
back of its fee (by default all of it on a full refund, none otherwise). It is refused (409) once the warranty the
sale carried has ended (workflows.guards.within_warranty), or when the unit is not the sold one of that sale.

The unit goes back into the workflow (`return`: sold -> returned) on the chain of its batch, closed or not: it is
re-tested and re-graded at the bench (`regrade`, through the same grading form and scheme), then cleared and
listed again as a new stock row, and sold again as a new sale; or destroyed. A phone's or tablet's locks turn to
`unknown` (its buyer may have signed it in to an account), so it is resold only after they are checked again.
The refund comes off the client's settlement (itad.inventory.settlement).

The quality report counts, for the sales of a period, how many came back, grouped by grade, category, model or
the technician whose grading the unit was sold on, month by month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import notifications
from itad.errors import Conflict, Invalid, NotFound, bounded
from itad.models import (
    Batch, Device, DeviceGrading, InventoryItem, Sale, SaleReturn, StockStatus, User,
)
from itad.steps import locks
from itad.steps.applying import apply_step
from itad.steps.planning import Step
from itad.words import WORDS
from workflows.mobile import LOCK_KINDS, needs_lock_checks

ZERO = Decimal("0.00")
# Why buyers send units back (their words in itad.words, "return_reason"). The first five question the grading
# (the unit was not what its grade and checks said); the others do not (the carrier, the buyer's change of mind).
REASONS = WORDS["return_reason"]
GRADING_REASONS = frozenset({"defective", "not_as_described", "cosmetic", "battery", "locked"})
MAX_REASON = 500


def get_sale(session: Session, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(f"No sale with id {sale_id}.")
    return sale


def record_return(session: Session, actor: User, sale: Sale, *, reason_code: str, returned_on: date,
                  reason: str | None = None, refund: Decimal | None = None,
                  fee_returned: Decimal | None = None) -> SaleReturn:
    """Take a sold unit back under its warranty; see the module docstring. Does not commit."""
    reason_code = (reason_code or "").strip().lower()
    reason = bounded(reason, "reason", MAX_REASON, "return_reason_too_long")
    if reason_code not in REASONS:
        raise Invalid(f"Say why the unit came back: one of {', '.join(REASONS)}.", code="unknown_return_reason")
    if reason_code == "other" and not reason:
        raise Invalid("A return for another reason says what it is.", code="return_reason_missing")
    if returned_on > date.today():
        raise Invalid(f"A unit cannot have come back on {returned_on.isoformat()}, a day still to come.",
                      code="returned_in_future")
    if returned_on < sale.sold_on:
        raise Invalid(f"It was sold on {sale.sold_on.isoformat()}; it cannot have come back before that.",
                      code="returned_before_sale")
    price, fee = Decimal(str(sale.price)), Decimal(str(sale.fee))
    refund = price if refund is None else refund
    if not ZERO <= refund <= price:
        raise Invalid(f"The refund ({refund}) is between 0 and the price the buyer paid ({price}).",
                      code="invalid_refund")
    if fee_returned is None:
        fee_returned = fee if refund == price else ZERO
    if not ZERO <= fee_returned <= fee:
        raise Invalid(f"The fee given back ({fee_returned}) is between 0 and the fee the channel kept ({fee}).",
                      code="invalid_fee_returned")
    item = session.get(InventoryItem, sale.item_id, with_for_update=True)
    if session.scalar(sa.select(SaleReturn.id).where(SaleReturn.sale_id == sale.id)) is not None:
        raise Conflict(f"Sale {sale.id} was already returned.", code="already_returned", details={"needs": []})
    latest = session.scalar(sa.select(sa.func.max(Sale.id)).where(Sale.device_id == sale.device_id))
    if latest != sale.id:
        raise Conflict(f"Sale {sale.id} is not the unit's latest sale (that is {latest}); a return names the sale "
                       "the buyer who sends it back made.", code="not_latest_sale", details={"needs": []})
    apply_step(session, actor, sale.device_id, Step(
        "return",
        {"reason": reason_code, "returned_on": returned_on.isoformat(),
         "warranty_until": sale.warranty_until.isoformat() if sale.warranty_until else None},
        {"sale_id": sale.id, "details": reason, "refund": str(refund), "fee_returned": str(fee_returned),
         "currency": sale.currency}))
    row = SaleReturn(sale_id=sale.id, device_id=sale.device_id, batch_id=sale.batch_id,
                     organization_id=sale.organization_id, reason_code=reason_code, reason=reason,
                     returned_on=returned_on, refund=refund, fee_returned=fee_returned, currency=sale.currency,
                     recorded_by_id=actor.id)
    item.status = StockStatus.returned.value
    session.add(row)
    device = session.get(Device, sale.device_id)
    _locks_unknown(session, actor, device)
    batch = session.get(Batch, sale.batch_id)
    session.flush()
    notifications.notify(session, sale.organization_id, "unit_returned", {
        "batch_id": batch.id, "reference": batch.reference, "device_id": device.id, "serial": device.serial,
        "reason": reason_code, "refund": str(refund), "currency": sale.currency})
    return row


def _locks_unknown(session: Session, actor: User, device: Device) -> None:
    """A returned phone or tablet may be signed in to its buyer's account: every lock is to be checked again,
    recorded as the bench records checks (itad.steps.locks)."""
    if needs_lock_checks(device.category):
        locks.record_locks(session, actor, device.id,
                           dict.fromkeys(LOCK_KINDS, ("unknown", "returned by its buyer; to be checked again")))


def returns(session: Session, *, open_only: bool = False, limit: int = 200) -> list[tuple[SaleReturn, Device, Sale]]:
    """Returns, newest first, with their unit and sale; open_only: the units still back with us (returned)."""
    stmt = (sa.select(SaleReturn, Device, Sale).join(Device, Device.id == SaleReturn.device_id)
            .join(Sale, Sale.id == SaleReturn.sale_id))
    if open_only:
        stmt = stmt.where(Device.state == "returned")
    return list(session.execute(stmt.order_by(SaleReturn.id.desc()).limit(limit)).all())


def of_sale(session: Session, sale_id: int) -> SaleReturn | None:
    return session.scalar(sa.select(SaleReturn).where(SaleReturn.sale_id == sale_id))


def returns_of_device(session: Session, device_id: int) -> list[SaleReturn]:
    return list(session.scalars(sa.select(SaleReturn).where(SaleReturn.device_id == device_id)
                                .order_by(SaleReturn.id)))


# ---------------------------------------------------------------- the quality report

DIMENSIONS = ("grade", "category", "model", "technician")


@dataclass
class Rate:
    sales: int = 0
    returns: int = 0
    grading_returns: int = 0      # returns for a reason that questions the grading (GRADING_REASONS)
    under_warranty: int = 0       # sales whose warranty still runs at the report's date: they may yet come back
    reasons: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.returns / self.sales if self.sales else None

    @property
    def grading_rate(self) -> float | None:
        return self.grading_returns / self.sales if self.sales else None


@dataclass
class Quality:
    by: str
    start: date
    end: date
    as_of: date
    months: list[str]
    overall: Rate
    groups: dict[str, Rate]                         # group -> its rate over the period
    cells: dict[tuple[str, str], Rate]              # (group, "YYYY-MM") -> its rate in that month of sale


def quality(session: Session, *, by: str = "grade", start: date, end: date, as_of: date | None = None) -> Quality:
    """Return rates of the units sold from `start` to `end` (by sale day), grouped `by` one of DIMENSIONS and by
    month of sale. The technician is the one whose grading the unit was sold on (Sale.grading_id)."""
    if by not in DIMENSIONS:
        raise Invalid(f"Group by one of {', '.join(DIMENSIONS)}.", code="unknown_dimension")
    if end < start:
        raise Invalid("The period ends before it starts.", code="invalid_period")
    as_of = as_of or date.today()
    rows = session.execute(
        sa.select(Sale.sold_on, Sale.grade, Sale.warranty_until, InventoryItem.category, InventoryItem.manufacturer,
                  InventoryItem.model, DeviceGrading.graded_by_label, SaleReturn.reason_code)
        .join(InventoryItem, InventoryItem.id == Sale.item_id)
        .outerjoin(DeviceGrading, DeviceGrading.id == Sale.grading_id)
        .outerjoin(SaleReturn, SaleReturn.sale_id == Sale.id)
        .where(Sale.sold_on >= start, Sale.sold_on <= end)).all()
    overall, groups, cells, months = Rate(), defaultdict(Rate), defaultdict(Rate), set()
    for sold_on, grade, until, category, make, model, technician, reason in rows:
        key = {"grade": grade or "(no grade)", "category": (category or "(none)").lower(),
               "model": " ".join(p for p in (make, model) if p) or "(unknown)",
               "technician": technician or "(not recorded)"}[by]
        month = sold_on.strftime("%Y-%m")
        months.add(month)
        for rate in (overall, groups[key], cells[(key, month)]):
            rate.sales += 1
            if reason is not None:
                rate.returns += 1
                rate.grading_returns += reason in GRADING_REASONS
                rate.reasons[reason] += 1
            elif until is not None and until >= as_of:
                rate.under_warranty += 1
    ordered = dict(sorted(groups.items(), key=lambda kv: (-(kv[1].rate or 0), kv[0])))
    return Quality(by, start, end, as_of, sorted(months), overall, ordered, dict(cells))
