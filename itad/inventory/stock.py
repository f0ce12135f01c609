"""Resale stock: listing cleared units, reserving, releasing, selling, and withdrawing them.

A unit's sellability is decided by the device state (workflows): `in_inventory` units may be sold;
`quarantined` units (certificate revoked, sanitization reopened) may not, ever. The stock row's
status (available, reserved, sold, withdrawn) is the commercial view of the same fact plus holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import notifications
from itad.errors import Conflict, Invalid, NotFound
from itad.inventory.money import CURRENCY
from itad.models import (
    Batch, Device, DeviceGrading, InventoryItem, Organization, Sale, SanitizationRecord, StockStatus, User,
    latest_grading, latest_grading_ids, utcnow,
)
from itad.steps.applying import apply_step, plan_or_refuse
from itad.steps.held import lock
from itad.steps.writing import write
from itad.steps.planning import Step
from workflows.states import DeviceState

SELLABLE = (StockStatus.available.value, StockStatus.reserved.value)


def _part(value: str | None) -> str:
    text = re.sub(r"[^A-Z0-9]+", "-", (value or "").upper()).strip("-")
    return text or "NA"


def sku_for(category: str | None, manufacturer: str | None, model: str | None, grade: str | None) -> str:
    """CATEGORY-MAKE-MODEL-GRADE, upper-case, anything but letters and digits turned into one dash:
    ("laptop", "Dell", "Latitude 5490", "B") -> "LAPTOP-DELL-LATITUDE-5490-B"."""
    return "-".join(_part(p) for p in (category, manufacturer, model, grade))[:200]


def model_key(manufacturer: str | None, model: str | None) -> str:
    """The same model whatever its grade or category spelling: "DELL|LATITUDE-5490"."""
    return f"{_part(manufacturer)}|{_part(model)}"


def specs_for(session: Session, device: Device) -> dict:
    """What a buyer reads: the manifest's columns, the bench's grade and checks, the media and their wipes."""
    grading = session.scalar(latest_grading(device.id))
    methods = {r.medium_id: r.effective_method for r in session.scalars(
        sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device.id)
        .order_by(SanitizationRecord.attempt))}
    return {
        "manifest": dict(device.attributes or {}),
        "grade": grading.grade if grading else None,
        "functional_checks": dict(grading.functional_checks or {}) if grading else {},
        "grading_notes": grading.notes if grading else None,
        "media": [{"media_type": m.media_type, "capacity_bytes": m.capacity_bytes, "model": m.model,
                   "sanitization": methods.get(m.id)} for m in device.media],
    }


def get_item(session: Session, item_id: int) -> InventoryItem:
    item = session.get(InventoryItem, item_id)
    if item is None:
        raise NotFound(f"No inventory item with id {item_id}.")
    return item


def item_for_device(session: Session, device_id: int) -> InventoryItem | None:
    """The device's stock row: its live one, else (sold and returned, not listed again) its latest."""
    return session.scalar(sa.select(InventoryItem).where(InventoryItem.device_id == device_id)
                          .order_by(InventoryItem.id.desc()).limit(1))


def require_currency(code: str) -> str:
    if not CURRENCY.match(code or ""):
        raise Invalid(f"{code!r} is not an ISO 4217 currency code (three capital letters, e.g. EUR).",
                      code="invalid_currency")
    return code


def list_device(session: Session, actor: User, device: Device, *, location: str | None = None,
                list_price: Decimal | None = None, currency: str = "EUR") -> InventoryItem:
    """Put a cleared device into stock (workflow `list`: cleared -> in_inventory) as an available unit."""
    return list_devices(session, actor, [device], location=location, list_price=list_price, currency=currency)[0]


def list_devices(session: Session, actor: User, devices: list[Device], *, location: str | None = None,
                 list_price: Decimal | None = None, currency: str = "EUR") -> list[InventoryItem]:
    """Put cleared devices into stock in one unit of work: the devices are locked together, each gets its
    `list` step and custody event (one write), then its stock row. All or none: a device the workflow
    refuses (not cleared, policy forbids resale) refuses the listing with a 409 that names it."""
    require_currency(currency)
    held = lock(session, [d.id for d in devices])
    now = utcnow()
    plans, listed = [], []
    for device in devices:
        one = held.device(device.id, actor)
        grade = one.facts.grade
        sku = sku_for(device.category, device.manufacturer, device.model, grade)
        plans.append(plan_or_refuse(held, one, Step("list", {}, {"sku": sku, "location": location}), actor, now))
        listed.append((device, one, grade, sku))
    write(session, plans, [one for _, one, _, _ in listed], now)
    items = [InventoryItem(device_id=d.id, batch_id=d.batch_id, organization_id=d.organization_id, sku=sku,
                           category=d.category, manufacturer=d.manufacturer, model=d.model, grade=grade,
                           specs=specs_for(session, d), status=StockStatus.available.value, location=location,
                           list_price=list_price, currency=currency, listed_by_id=actor.id)
             for d, _, grade, sku in listed]
    session.add_all(items)
    session.flush()
    return items


def _lock(session: Session, item: InventoryItem) -> InventoryItem:
    session.refresh(item, with_for_update=True)
    return item


def _not_withdrawn(session: Session, item: InventoryItem, doing: str) -> None:
    if item.status == StockStatus.withdrawn.value:
        # The device's state as it is now: a withdrawn unit is quarantined, then perhaps destroyed.
        state = session.scalar(sa.select(Device.state).where(Device.id == item.device_id))
        raise Conflict(f"Unit {item.id} was withdrawn from stock ({item.withdrawn_reason}); it cannot be {doing}.",
                       code="withdrawn_from_stock",
                       details={"status": item.status, "reason": item.withdrawn_reason,
                                "state": state, "needs": []})


def reserve(session: Session, actor: User, item: InventoryItem, buyer_reference: str) -> InventoryItem:
    """Hold an available unit for one buyer. It stays in stock and sells only to that buyer."""
    _lock(session, item)
    _not_withdrawn(session, item, "reserved")
    if item.status != StockStatus.available.value:
        held = f" for {item.reserved_for}" if item.status == StockStatus.reserved.value else ""
        raise Conflict(f"Unit {item.id} is {item.status}{held}; only an available unit can be reserved.",
                       code="not_available", details={"status": item.status, "needs": ["release"]
                                                      if item.status == StockStatus.reserved.value else []})
    item.status, item.reserved_for, item.reserved_at = StockStatus.reserved.value, buyer_reference, utcnow()
    session.flush()
    return item


def release(session: Session, actor: User, item: InventoryItem) -> InventoryItem:
    """End a hold: the unit is available to anyone again."""
    _lock(session, item)
    _not_withdrawn(session, item, "released")
    if item.status != StockStatus.reserved.value:
        raise Conflict(f"Unit {item.id} is {item.status}, not reserved; there is nothing to release.",
                       code="not_reserved", details={"status": item.status, "needs": []})
    item.status, item.reserved_for, item.reserved_at = StockStatus.available.value, None, None
    session.flush()
    return item


def sell(session: Session, actor: User, item: InventoryItem, *, price: Decimal, currency: str,
         buyer_reference: str, sold_on: date, fee: Decimal = Decimal("0.00"), channel: str = "direct") -> Sale:
    """Record a sale (workflow `sell`: in_inventory -> sold) with the warranty its grade and channel carry
    (itad.inventory.warranty). A withdrawn unit answers 409 with the reason."""
    from itad.inventory import warranty

    channel = (channel or "direct").strip().lower()[:40]
    require_currency(currency)
    _lock(session, item)
    _not_withdrawn(session, item, "sold")
    if item.status == StockStatus.reserved.value and item.reserved_for != buyer_reference:
        raise Conflict(f"Unit {item.id} is reserved for {item.reserved_for}; release it before selling to "
                       f"{buyer_reference}.", code="reserved_for_another_buyer",
                       details={"status": item.status, "reserved_for": item.reserved_for, "needs": ["release"]})
    if price <= 0:
        raise Invalid("A sale price must be more than zero.", code="invalid_price")
    if fee < 0 or fee > price:
        raise Invalid(f"The fee ({fee}) must be between 0 and the price ({price}).", code="invalid_fee")
    covered = warranty.until(sold_on, warranty.months_for(session, channel, item.grade))
    apply_step(session, actor, item.device_id, Step("sell", {"price": price}, {
        "currency": currency, "buyer_reference": buyer_reference, "sold_on": sold_on.isoformat(), "fee": str(fee),
        "channel": channel, "warranty_until": covered.isoformat()}))
    graded = session.scalar(latest_grading(item.device_id))
    sale = Sale(item_id=item.id, device_id=item.device_id, batch_id=item.batch_id,
                grading_id=graded.id if graded else None,
                organization_id=item.organization_id, sku=item.sku,
                model_key=model_key(item.manufacturer, item.model), grade=item.grade, price=price, fee=fee,
                currency=currency, buyer_reference=buyer_reference, sold_on=sold_on, recorded_by_id=actor.id,
                channel=channel, warranty_until=covered)
    item.status = StockStatus.sold.value
    session.add(sale)
    session.flush()
    announce_if_settled(session, item.batch_id)
    return sale


@dataclass(frozen=True)
class Withdrawal:
    """What withdraw_from_stock found and did.

    outcome: "withdrawn" (it was cleared or in stock and is now quarantined), "already_withdrawn",
    "sold" (it had already left us: nothing to take back; the caller decides whom to tell), or
    "not_in_stock" (never reached stock: still on the bench, destroyed, missing...).
    """

    device_id: int
    outcome: str
    state: str
    item_id: int | None = None


def withdraw_from_stock(session: Session, device_id: int, reason: str, actor: User) -> Withdrawal:
    """Take a unit out of sellable stock at once (certificate revoked, sanitization reopened).

    Safe to call for every device of a batch and to call twice. The device goes to `quarantined`
    through the workflow (custody event with the reason); its stock row, if it was listed, becomes
    `withdrawn` with the reason, which a later sale attempt answers with (409). Does not commit.
    """
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"No device with id {device_id}.")
    item = item_for_device(session, device_id)
    state = device.state
    if state == DeviceState.quarantined.value:
        return Withdrawal(device_id, "already_withdrawn", state, item.id if item else None)
    if state == DeviceState.sold.value:
        return Withdrawal(device_id, "sold", state, item.id if item else None)
    if state not in (DeviceState.cleared.value, DeviceState.in_inventory.value):
        return Withdrawal(device_id, "not_in_stock", state, item.id if item else None)
    apply_step(session, actor, device_id, Step("withdraw", {"reason": reason}))
    if item is not None:
        item.status, item.withdrawn_reason, item.withdrawn_at = StockStatus.withdrawn.value, reason.strip(), utcnow()
        item.reserved_for = item.reserved_at = None
        session.flush()
    announce_if_settled(session, device.batch_id)
    return Withdrawal(device_id, "withdrawn", device.state, item.id if item else None)


def announce_if_settled(session: Session, batch_id: int) -> None:
    """After a sale or a withdrawal (the batch is locked by the step): when the batch is closed and none of its
    units is left to sell, its settlement can change no more, and the client hears it once (only the step that
    takes the last unit out of stock gets here with none left)."""
    batch = session.get(Batch, batch_id)
    if batch.status != "closed":
        return
    left = session.scalar(sa.select(sa.func.count()).where(
        Device.batch_id == batch_id, Device.state.in_((DeviceState.cleared.value, DeviceState.in_inventory.value))))
    sold = session.scalar(sa.select(sa.func.count()).select_from(Sale).where(Sale.batch_id == batch_id))
    if left or not sold:
        return
    notifications.notify(session, batch.organization_id, "settlement_ready",
                         {"batch_id": batch.id, "reference": batch.reference, "units_sold": sold})


def update_item(item: InventoryItem, *, location: str | None = None, list_price: Decimal | None = None,
                currency: str | None = None) -> InventoryItem:
    """Move a unit on the shelf or change its asking price."""
    if currency is not None:
        item.currency = require_currency(currency)
    if location is not None:
        item.location = location
    if list_price is not None:
        item.list_price = list_price
    return item


def search(*, category: str | None = None, make: str | None = None, model: str | None = None,
           grade: str | None = None, status: str | None = None, batch_id: int | None = None,
           client_id: int | None = None, sku: str | None = None) -> sa.Select:
    """Stock rows matching every given filter (text filters compare case-insensitively)."""
    stmt = sa.select(InventoryItem)
    for column, value in ((InventoryItem.category, category), (InventoryItem.manufacturer, make),
                          (InventoryItem.model, model), (InventoryItem.grade, grade)):
        if value:
            stmt = stmt.where(sa.func.lower(column) == value.strip().lower())
    if status:
        stmt = stmt.where(InventoryItem.status == status)
    if batch_id is not None:
        stmt = stmt.where(InventoryItem.batch_id == batch_id)
    if client_id is not None:
        stmt = stmt.where(InventoryItem.organization_id == client_id)
    if sku:
        stmt = stmt.where(InventoryItem.sku == sku.strip().upper())
    return stmt


def context_of(session: Session, items: list[InventoryItem]) -> dict[int, tuple[str, str, str]]:
    """{item_id: (serial, batch reference, client name)} in one query, for exports."""
    if not items:
        return {}
    rows = session.execute(
        sa.select(InventoryItem.id, Device.serial, Batch.reference, Organization.name)
        .join(Device, Device.id == InventoryItem.device_id).join(Batch, Batch.id == InventoryItem.batch_id)
        .join(Organization, Organization.id == InventoryItem.organization_id)
        .where(InventoryItem.id.in_([i.id for i in items]))
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def awaiting_listing(session: Session, *, limit: int = 50) -> list[tuple[Device, str | None]]:
    """Cleared devices not yet in stock with their grade, oldest first: what the operator can list next."""
    return list(session.execute(
        sa.select(Device, DeviceGrading.grade)
        .outerjoin(DeviceGrading, sa.and_(DeviceGrading.device_id == Device.id, DeviceGrading.id.in_(latest_grading_ids())))
        .where(Device.state == DeviceState.cleared.value).order_by(Device.id).limit(limit)).all())
