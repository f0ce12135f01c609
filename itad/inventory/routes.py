"""Resale inventory for the operator (technician, admin), and each client's settlement per batch.

Amounts travel as strings with two decimals ("199.00") and a currency code; floats are refused.
Stock moves that change a device's state go through the workflow (custody events); a withdrawn unit
answers 409 with the reason it was withdrawn.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from flask import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from itad import batches
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.pagination import page
from itad.api.schemas import Out, PageQuery
from itad.errors import NotFound
from itad.inventory import conditions, feeds, pricing, settlement, statements, stock, warranty
from itad.inventory.money import CURRENCY, fmt, parse_amount
from itad.models import InventoryItem, Organization, db

ADMIN = ("admin",)
AMOUNT_SCHEMA = {"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "examples": ["199.00"]}
CURRENCY_FIELD = Field("EUR", pattern=CURRENCY.pattern, description="ISO 4217 code")

def _amount_string(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("send amounts as JSON strings such as \"199.00\", not numbers")
    return parse_amount(value)


# In: a string of digits with at most two decimals. Out: the same, always with two decimals.
AmountIn = Annotated[Decimal, BeforeValidator(_amount_string), WithJsonSchema(AMOUNT_SCHEMA)]
AmountOut = Annotated[Decimal, PlainSerializer(fmt, return_type=str), WithJsonSchema(AMOUNT_SCHEMA)]
PercentIn = Annotated[Decimal, BeforeValidator(_amount_string),
                      WithJsonSchema({"type": "string", "pattern": r"^\d{1,3}(\.\d{1,2})?$", "examples": ["60.00"]})]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemOut(Out):
    id: int
    device_id: int
    batch_id: int
    organization_id: int
    sku: str
    category: str | None
    manufacturer: str | None
    model: str | None
    grade: str | None
    specs: dict | None
    status: str
    location: str | None
    list_price: AmountOut | None
    currency: str
    reserved_for: str | None
    withdrawn_reason: str | None
    created_at: datetime


class ItemPage(Out):
    items: list[ItemOut]
    next_cursor: int | None


class StockFilter(In):
    category: str | None = Field(None, max_length=60)
    make: str | None = Field(None, max_length=120)
    model: str | None = Field(None, max_length=200)
    grade: str | None = Field(None, max_length=2)
    status: str | None = Field(None, pattern="^(available|reserved|sold|withdrawn|returned)$")
    batch_id: int | None = Field(None, ge=0, le=2**31 - 1)
    client_id: int | None = Field(None, ge=0, le=2**31 - 1, description="the client organization")
    sku: str | None = Field(None, max_length=200)


class StockQuery(StockFilter, PageQuery):
    pass


class ListingQuery(StockFilter):
    currency: str = CURRENCY_FIELD
    marketplace: str | None = Field(None, min_length=1, max_length=40,
                                    description="add that marketplace's condition for each grade (admin-mapped)")


class ListIn(In):
    location: str | None = Field(None, max_length=120)
    list_price: AmountIn | None = None
    currency: str = CURRENCY_FIELD


class ItemPatchIn(In):
    location: str | None = Field(None, max_length=120)
    list_price: AmountIn | None = None
    currency: str | None = Field(None, pattern=CURRENCY.pattern)


class ReserveIn(In):
    buyer_reference: str = Field(min_length=1, max_length=200)


class SaleIn(In):
    price: AmountIn
    currency: str = Field(pattern=CURRENCY.pattern, description="ISO 4217 code")
    buyer_reference: str = Field(min_length=1, max_length=200)
    sold_on: date
    fee: AmountIn = Field(Decimal("0.00"), description="what the sales channel kept")
    channel: str = Field("direct", min_length=1, max_length=40,
                         description="where it was sold (backmarket, trade, direct...): with the grade, its warranty")


class WithdrawIn(In):
    reason: str = Field(min_length=1, max_length=500)


class SaleOut(Out):
    id: int
    item_id: int
    device_id: int
    sku: str
    price: AmountOut
    fee: AmountOut
    currency: str
    buyer_reference: str
    sold_on: date
    channel: str
    warranty_until: date | None


class WarrantyTermIn(In):
    channel: str = Field(min_length=1, max_length=40)
    grade: str | None = Field(None, max_length=2, description="empty: any grade sold through the channel")
    months: int = Field(ge=0, le=60)


class WarrantyTermOut(Out):
    channel: str
    grade: str | None
    months: int
    updated_at: datetime


class WarrantyTermList(BaseModel):
    items: list[WarrantyTermOut]
    default_months: int


class WithdrawalOut(BaseModel):
    device_id: int
    outcome: str
    state: str
    item_id: int | None


class SuggestionQuery(In):
    sku: str = Field(min_length=1, max_length=200)
    currency: str = CURRENCY_FIELD
    window_days: int = Field(pricing.WINDOW_DAYS, ge=1, le=3650)
    as_of: date | None = None


class SuggestionOut(BaseModel):
    sku: str
    currency: str
    price: AmountOut | None
    basis: str
    sales_count: int
    window_start: date
    window_end: date


class TermsIn(In):
    client_share_percent: PercentIn
    note: str | None = Field(None, max_length=500)


class TermsOut(Out):
    organization_id: int
    client_share_percent: AmountOut
    note: str | None


class SettlementLineOut(Out):
    sale_id: int
    device_id: int
    serial: str
    sku: str
    sold_on: date
    currency: str
    price: AmountOut
    fee: AmountOut
    returned_on: date | None = None
    refund: AmountOut
    fee_returned: AmountOut


class CurrencyTotalOut(Out):
    currency: str
    units_sold: int
    gross: AmountOut
    fees: AmountOut
    refunds: AmountOut
    net: AmountOut
    client_share: AmountOut
    operator_share: AmountOut
    units_returned: int


class SettlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    batch_id: int
    batch_reference: str
    client_id: int
    client_name: str
    client_share_percent: AmountOut
    rounding: str
    lines: list[SettlementLineOut]
    totals: list[CurrencyTotalOut]


# ---------------------------------------------------------------- stock

def _filtered(q: StockFilter):
    return stock.search(category=q.category, make=q.make, model=q.model, grade=q.grade, status=q.status,
                        batch_id=q.batch_id, client_id=q.client_id, sku=q.sku)


def _item(item_id: int):
    return stock.get_item(db.session, item_id)


def _csv(text: str, filename: str, **headers) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', **headers})


@bp.get("/inventory")
@operation("List resale stock (filter by category, make, model, grade, status, batch, client)",
           roles=OPERATOR_ROLES, query=StockQuery, response=ItemPage, tags=("inventory",))
def list_stock(query: StockQuery):
    rows, next_cursor = page(db.session, _filtered(query), InventoryItem.id, query.limit, query.cursor)
    return ItemPage(items=[ItemOut.model_validate(i) for i in rows], next_cursor=next_cursor)


@bp.get("/inventory/export.csv")
@operation("Export resale stock as CSV (same filters as the list)", roles=OPERATOR_ROLES, query=StockFilter,
           tags=("inventory",), produces="text/csv")
def export_stock(query: StockFilter):
    items = db.session.scalars(_filtered(query).order_by(InventoryItem.id)).all()
    return _csv(feeds.inventory_csv(db.session, items), "inventory.csv")


@bp.get("/inventory/listing.csv")
@operation("Marketplace listing feed: one row per SKU (sku, title, condition_grade, price, currency, quantity)",
           roles=OPERATOR_ROLES, query=ListingQuery, tags=("inventory",), produces="text/csv")
def listing_feed(query: ListingQuery):
    items = db.session.scalars(_filtered(query).order_by(InventoryItem.id)).all()
    feed = feeds.listing_feed(db.session, items, currency=query.currency, marketplace=query.marketplace)
    return _csv(feed.csv, "listing.csv", **{"X-Unpriced-SKUs": str(len(feed.unpriced)),
                                            "X-Unmapped-SKUs": str(len(feed.unmapped))})


class ConditionIn(In):
    marketplace: str = Field(min_length=1, max_length=40)
    grade: str = Field(min_length=1, max_length=2)
    condition: str = Field(min_length=1, max_length=60, description="the marketplace's name, e.g. Excellent")


class ConditionOut(Out):
    marketplace: str
    grade: str
    condition: str


class ConditionList(BaseModel):
    items: list[ConditionOut]


@bp.get("/condition-mappings")
@operation("What each marketplace calls our grades", roles=OPERATOR_ROLES, response=ConditionList,
           tags=("inventory",))
def list_conditions():
    return ConditionList(items=conditions.all_mappings(db.session))


@bp.put("/condition-mappings")
@operation("Set what a marketplace calls one of our grades; its listing feed prints it", roles=ADMIN,
           body=ConditionIn, response=ConditionOut, tags=("inventory",), errors=(422,))
def put_condition(body: ConditionIn):
    return ConditionOut.model_validate(conditions.set_condition(db.session, current_user(), body.marketplace,
                                                                body.grade, body.condition))


@bp.get("/inventory/<int:item_id>")
@operation("Get one unit in stock", roles=OPERATOR_ROLES, response=ItemOut, tags=("inventory",), errors=(404,))
def get_item(item_id: int):
    return ItemOut.model_validate(_item(item_id))


@bp.patch("/inventory/<int:item_id>")
@operation("Move a unit (location) or change its asking price", roles=OPERATOR_ROLES, body=ItemPatchIn,
           response=ItemOut, tags=("inventory",), errors=(404,))
def update_item(item_id: int, body: ItemPatchIn):
    item = stock.update_item(_item(item_id), location=body.location, list_price=body.list_price,
                             currency=body.currency)
    db.session.flush()
    return ItemOut.model_validate(item)


@bp.post("/devices/<int:device_id>/list")
@operation("Put a cleared device into resale stock (workflow: cleared -> in_inventory)", roles=OPERATOR_ROLES,
           body=ListIn, response=ItemOut, status=201, tags=("inventory",), errors=(404, 409))
def list_device(device_id: int, body: ListIn):
    device = batches.get_device(db.session, current_user(), device_id)
    item = stock.list_device(db.session, current_user(), device, location=body.location,
                             list_price=body.list_price, currency=body.currency)
    return ItemOut.model_validate(item)


@bp.post("/inventory/<int:item_id>/reserve")
@operation("Hold an available unit for one buyer", roles=OPERATOR_ROLES, body=ReserveIn, response=ItemOut,
           tags=("inventory",), errors=(404, 409))
def reserve(item_id: int, body: ReserveIn):
    return ItemOut.model_validate(stock.reserve(db.session, current_user(), _item(item_id), body.buyer_reference))


@bp.post("/inventory/<int:item_id>/release")
@operation("Release a reserved unit back to available", roles=OPERATOR_ROLES, response=ItemOut,
           tags=("inventory",), errors=(404, 409))
def release(item_id: int):
    return ItemOut.model_validate(stock.release(db.session, current_user(), _item(item_id)))


@bp.post("/inventory/<int:item_id>/sell")
@operation("Record a sale (workflow: in_inventory -> sold); a withdrawn unit answers 409 with the reason",
           roles=OPERATOR_ROLES, body=SaleIn, response=SaleOut, status=201, tags=("inventory",),
           errors=(404, 409))
def sell(item_id: int, body: SaleIn):
    sale = stock.sell(db.session, current_user(), _item(item_id), price=body.price, currency=body.currency,
                      buyer_reference=body.buyer_reference, sold_on=body.sold_on, fee=body.fee, channel=body.channel)
    return SaleOut.model_validate(sale)


@bp.get("/warranty-terms")
@operation("Months of warranty by sales channel and grade (a sale with no term carries the default)",
           roles=OPERATOR_ROLES, response=WarrantyTermList, tags=("inventory",))
def list_warranty_terms():
    return WarrantyTermList(items=warranty.terms(db.session), default_months=warranty.DEFAULT_MONTHS)


@bp.put("/warranty-terms")
@operation("Set the months of warranty of a channel and grade (grade empty: any grade); later sales take it",
           roles=ADMIN, body=WarrantyTermIn, response=WarrantyTermOut, tags=("inventory",), errors=(422,))
def put_warranty_term(body: WarrantyTermIn):
    return WarrantyTermOut.model_validate(warranty.set_term(db.session, current_user(), body.channel, body.grade,
                                                            body.months))


@bp.post("/devices/<int:device_id>/withdraw")
@operation("Withdraw a unit from sellable stock (workflow: -> quarantined), with the reason",
           roles=OPERATOR_ROLES, body=WithdrawIn, response=WithdrawalOut, tags=("inventory",), errors=(404, 409))
def withdraw(device_id: int, body: WithdrawIn):
    device = batches.get_device(db.session, current_user(), device_id)
    result = stock.withdraw_from_stock(db.session, device.id, body.reason, current_user())
    return WithdrawalOut(**result.__dict__)


@bp.get("/pricing/suggestion")
@operation("Suggested price for a SKU: median of recent sales of the same model and grade, then the model, "
           "else none", roles=OPERATOR_ROLES, query=SuggestionQuery, response=SuggestionOut, tags=("inventory",))
def price_suggestion(query: SuggestionQuery):
    s = pricing.suggest_for_sku(db.session, query.sku, currency=query.currency, as_of=query.as_of,
                                window_days=query.window_days)
    return SuggestionOut(**s.__dict__)


# ---------------------------------------------------------------- settlement

@bp.put("/organizations/<int:org_id>/settlement-terms")
@operation("Set a client's share of resale proceeds (percent of net)", roles=ADMIN, body=TermsIn,
           response=TermsOut, tags=("settlement",), errors=(404,))
def set_terms(org_id: int, body: TermsIn):
    org = db.session.get(Organization, org_id)
    if org is None or org.is_operator:
        raise NotFound(f"No client organization with id {org_id}.")
    return TermsOut.model_validate(settlement.set_terms(db.session, current_user(), org.id,
                                                        body.client_share_percent, body.note))


def _settlement(batch_id: int) -> settlement.Settlement:
    return settlement.settle_batch(db.session, batches.get_batch(db.session, current_user(), batch_id))


@bp.get("/batches/<int:batch_id>/settlement")
@operation("The client's resale settlement for a batch", response=SettlementOut, tags=("settlement",),
           errors=(404, 409))
def get_settlement(batch_id: int):
    return SettlementOut.model_validate(_settlement(batch_id))


@bp.get("/batches/<int:batch_id>/settlement.csv")
@operation("The settlement as CSV: units sold, a blank line, then totals per currency", tags=("settlement",),
           errors=(404, 409), produces="text/csv")
def settlement_csv(batch_id: int):
    s = _settlement(batch_id)
    return _csv(statements.settlement_csv(s), f"settlement-batch-{s.batch_id}.csv")


@bp.get("/batches/<int:batch_id>/settlement.pdf")
@operation("The settlement as PDF", tags=("settlement",), errors=(404, 409), produces="application/pdf")
def settlement_pdf(batch_id: int):
    s = _settlement(batch_id)
    return Response(statements.settlement_pdf(s), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="settlement-batch-{s.batch_id}.pdf"'})
