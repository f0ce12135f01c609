"""Admin pages for resale stock: the stock list (filters, cursor pages, suggested prices), one unit
with its reserve / release / sell forms, listing cleared devices, and the CSV export and marketplace
feed. Each form calls one itad.inventory service and commits once; refusals come back as messages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from itad import accounts, batches
from itad.inventory import conditions, feeds, pricing, returns, stock, warranty
from itad.inventory.return_pages import ReturnForm
from itad.inventory.money import CURRENCY, fmt
from itad.models import InventoryItem, StockStatus, db
from itad.pagination import page
from itad.web.confirming import confirm_page, confirmed
from itad.web import ADMIN, bp, download, form_errors, roles
from itad.accounts.admin_pages import ConfirmForm
from itad.web.amounts import AmountField
from itad.web.unit_of_work import attempt

AWAITING_PAGE = 100
STOCK_PAGE = 50
ZERO = Decimal("0.00")
STATUSES = tuple(s.value for s in StockStatus)
TEXT_FILTERS = {"grade": 2, "model": 200, "sku": 200, "make": 120}


def _currency_field(label="Currency"):
    return StringField(label, default="EUR", validators=[DataRequired(), Regexp(CURRENCY.pattern,
                       message="Three capital letters (ISO 4217), e.g. EUR.")])


class ListForm(FlaskForm):
    location = StringField("Shelf", validators=[Optional(), Length(max=120)])
    list_price = AmountField("Asking price", validators=[Optional()])
    currency = _currency_field()


class ReserveForm(FlaskForm):
    buyer_reference = StringField("Buyer reference", validators=[DataRequired(), Length(max=200)])


class SellForm(FlaskForm):
    price = AmountField("Price", validators=[DataRequired(message="A sale needs its price.")])
    currency = _currency_field()
    fee = AmountField("Channel fee", default=None, validators=[Optional()])
    buyer_reference = StringField("Buyer reference", validators=[DataRequired(), Length(max=200)])
    sold_on = DateField("Sold on", default=date.today, validators=[DataRequired()])
    channel = StringField("Sold through", default="direct", validators=[DataRequired(), Length(max=40)])


def _filters() -> dict:
    """The stock filters from the query string; anything out of shape is ignored, not an error page."""
    args = request.args
    out = {name: (args.get(name) or "").strip()[:size] or None for name, size in TEXT_FILTERS.items()}
    out["status"] = args.get("status") if args.get("status") in STATUSES else None
    out["client_id"] = args.get("client", type=int)
    return out


def _search(f: dict):
    return stock.search(make=f["make"], model=f["model"], grade=f["grade"], status=f["status"],
                        client_id=f["client_id"], sku=f["sku"])


@bp.get("/admin/inventory")
@roles(ADMIN)
def admin_inventory():
    f = _filters()
    rows, next_cursor = page(db.session, _search(f), InventoryItem.id, STOCK_PAGE, request.args.get("after", type=int))
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("admin/inventory.html", items=rows, next_cursor=next_cursor, f=f, query=query,
                           statuses=STATUSES, context=stock.context_of(db.session, rows),
                           suggestions=pricing.suggest_for_items(db.session, [i for i in rows if i.status in stock.SELLABLE]),
                           clients=accounts.client_organizations(db.session),
                           awaiting=stock.awaiting_listing(db.session, limit=AWAITING_PAGE), list_form=ListForm(formdata=None),
                           warranty_terms=warranty.terms(db.session), warranty_default=warranty.DEFAULT_MONTHS,
                           condition_mappings=conditions.all_mappings(db.session),
                           fmt=fmt)


@bp.get("/admin/inventory/export.csv")
@roles(ADMIN)
def admin_inventory_csv():
    items = db.session.scalars(_search(_filters()).order_by(InventoryItem.id)).all()
    return download(feeds.inventory_csv(db.session, items), "text/csv", "inventory.csv")


@bp.get("/admin/inventory/listing.csv")
@roles(ADMIN)
def admin_listing_feed():
    currency = (request.args.get("currency") or "EUR").strip().upper()
    if not CURRENCY.match(currency):
        abort(400, description=f"{currency!r} is not a currency code; use three capital letters such as EUR.")
    marketplace = (request.args.get("marketplace") or "").strip().lower()[:40] or None
    items = db.session.scalars(_search(_filters()).order_by(InventoryItem.id)).all()
    feed = feeds.listing_feed(db.session, items, currency=currency, marketplace=marketplace)
    return download(feed.csv, "text/csv", f"listing-{marketplace + '-' if marketplace else ''}{currency}.csv")


@bp.post("/admin/inventory/conditions")
@roles(ADMIN)
def admin_set_condition():
    form = request.form
    ok, row = attempt(conditions.set_condition, db.session, current_user, form.get("marketplace", ""),
                      form.get("grade", ""), form.get("condition", ""))
    if ok:
        flash(f"On {row.marketplace}, our grade {row.grade} is listed as \u201c{row.condition}\u201d.", "success")
    return redirect(url_for("web.admin_inventory"))


@bp.get("/admin/inventory/<int:item_id>")
@roles(ADMIN)
def admin_inventory_item(item_id: int):
    return _item_page(stock.get_item(db.session, item_id))


def _item_page(item: InventoryItem, sell_form: SellForm | None = None, reserve_form: ReserveForm | None = None,
               status: int = 200):
    suggestion = pricing.suggest_for_items(db.session, [item])[item.id]
    if sell_form is None:
        asking = item.list_price if item.list_price is not None else suggestion.price
        sell_form = SellForm(formdata=None, data={"price": asking, "currency": item.currency,
                                                  "buyer_reference": item.reserved_for or ""})
    serial, reference, client = stock.context_of(db.session, [item]).get(item.id, ("", "", ""))
    return render_template("admin/inventory_item.html", item=item, suggestion=suggestion, sale=item.sale, fmt=fmt,
                           serial=serial, reference=reference, client=client, sell_form=sell_form,
                           reserve_form=reserve_form or ReserveForm(formdata=None), confirm=ConfirmForm(),
                           sellable=item.status in stock.SELLABLE, return_form=ReturnForm(formdata=None),
                           returned=returns.of_sale(db.session, item.sale.id) if item.sale else None,
                           reasons=returns.REASONS), status


@bp.post("/admin/inventory/<int:item_id>/reserve")
@roles(ADMIN)
def admin_reserve(item_id: int):
    item = stock.get_item(db.session, item_id)
    form = ReserveForm()
    if not form.validate_on_submit():
        flash(f"Not reserved: {form_errors(form)}.", "error")
        return _item_page(item, reserve_form=form, status=400)
    ok, _ = attempt(stock.reserve, db.session, current_user, item, form.buyer_reference.data.strip())
    if ok:
        flash(f"Unit {item.id} reserved for {item.reserved_for}.", "success")
    return redirect(url_for("web.admin_inventory_item", item_id=item_id))


@bp.post("/admin/inventory/<int:item_id>/release")
@roles(ADMIN)
def admin_release(item_id: int):
    ConfirmForm().validate_on_submit()  # CSRF is checked globally; the form only names the action
    ok, _ = attempt(stock.release, db.session, current_user, stock.get_item(db.session, item_id))
    if ok:
        flash(f"Unit {item_id} released: available to any buyer.", "success")
    return redirect(url_for("web.admin_inventory_item", item_id=item_id))


@bp.post("/admin/inventory/<int:item_id>/sell")
@roles(ADMIN)
def admin_sell(item_id: int):
    item = stock.get_item(db.session, item_id)
    form = SellForm()
    if not form.validate_on_submit():
        flash(f"Not sold: {form_errors(form)}.", "error")
        return _item_page(item, sell_form=form, status=400)
    if not confirmed():
        fee = form.fee.data or ZERO
        return confirm_page(f"Sell unit {item_id} ({item.sku})?", [
            f"Sold to {form.buyer_reference.data.strip()} for {fmt(form.price.data)} {form.currency.data}"
            f"{f', less a channel fee of {fmt(fee)}' if fee else ''}, on {form.sold_on.data.isoformat()}.",
            "The unit leaves stock for good; a sale cannot be undone.",
            f"The client's settlement counts {fmt(form.price.data - fee)} {form.currency.data} as its net proceeds.",
            _warranty_line(item, form.channel.data, form.sold_on.data),
        ], "Record the sale", cancel=url_for("web.admin_inventory_item", item_id=item_id), danger=False)
    ok, sale = attempt(stock.sell, db.session, current_user, item, price=form.price.data,
                       currency=form.currency.data, buyer_reference=form.buyer_reference.data.strip(),
                       sold_on=form.sold_on.data, fee=form.fee.data or ZERO, channel=form.channel.data)
    if ok:
        flash(f"Unit {item_id} sold to {sale.buyer_reference} for {fmt(sale.price)} {sale.currency}.", "success")
    return redirect(url_for("web.admin_inventory_item", item_id=item_id))


@bp.post("/admin/inventory/list")
@roles(ADMIN)
def admin_list_devices():
    """List the ticked cleared units in one go (same shelf and currency; each keeps its own grade and SKU)."""
    ids = sorted({int(v) for v in request.form.getlist("device_id") if v.isdigit()})
    form = ListForm()
    if not ids:
        flash("Tick the units to list first.", "error")
        return redirect(url_for("web.admin_inventory"))
    if not form.validate_on_submit():
        flash(f"Not listed: {form_errors(form)}.", "error")
        return redirect(url_for("web.admin_inventory"))
    devices = [batches.get_device(db.session, current_user, i) for i in ids]
    ok, items = attempt(stock.list_devices, db.session, current_user, devices, location=form.location.data or None,
                        list_price=form.list_price.data, currency=form.currency.data)
    if ok:
        flash(f"{len(items)} unit(s) listed in stock: " + ", ".join(f"{d.serial} as {i.sku}" for d, i in zip(devices, items))
              + ".", "success")
    return redirect(url_for("web.admin_inventory"))


def _warranty_line(item: InventoryItem, channel: str, sold_on: date) -> str:
    channel = (channel or "direct").strip().lower()
    months = warranty.months_for(db.session, channel, item.grade)
    return (f"Sold through {channel}, grade {item.grade or 'none'}: a warranty of {months} month(s), until "
            f"{warranty.until(sold_on, months).isoformat()}.")


class WarrantyForm(FlaskForm):
    channel = StringField("Channel", validators=[DataRequired(), Length(max=40)])
    grade = StringField("Grade (empty: any)", validators=[Optional(), Length(max=2)])
    months = IntegerField("Months", validators=[InputRequired(), NumberRange(min=0, max=warranty.MAX_MONTHS)])


@bp.post("/admin/inventory/warranty-terms")
@roles(ADMIN)
def admin_set_warranty():
    form = WarrantyForm()
    if not form.validate_on_submit():
        flash(f"Not saved: {form_errors(form)}.", "error")
        return redirect(url_for("web.admin_inventory"))
    ok, term = attempt(warranty.set_term, db.session, current_user, form.channel.data, form.grade.data,
                       form.months.data)
    if ok:
        flash(f"Units sold through {term.channel} ({'grade ' + term.grade if term.grade else 'any grade'}) now carry "
              f"{term.months} month(s) of warranty; units sold before keep theirs.", "success")
    return redirect(url_for("web.admin_inventory"))


@bp.post("/admin/devices/<int:device_id>/list")
@roles(ADMIN)
def admin_list_device(device_id: int):
    device = batches.get_device(db.session, current_user, device_id)
    form = ListForm()
    if not form.validate_on_submit():
        flash(f"Not listed: {form_errors(form)}.", "error")
        return redirect(url_for("web.admin_inventory"))
    ok, item = attempt(stock.list_device, db.session, current_user, device, location=form.location.data or None,
                       list_price=form.list_price.data, currency=form.currency.data)
    if not ok:
        return redirect(url_for("web.admin_inventory"))
    flash(f"{device.serial} is in stock as {item.sku}.", "success")
    return redirect(url_for("web.admin_inventory_item", item_id=item.id))
