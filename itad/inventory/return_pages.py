"""Returns in the admin pages: take a sold unit back (from its stock page, after a confirmation that says what
the refund does to the client's settlement), the list of returns, and the quality report."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from itad.inventory import returns, stock
from itad.inventory.money import fmt
from itad.models import Sale, db
from itad.periods import day, period
from itad.web import ADMIN, bp, form_errors, roles
from itad.web.amounts import AmountField
from itad.web.confirming import confirm_page, confirmed
from itad.web.unit_of_work import attempt
from workflows.mobile import needs_lock_checks


class ReturnForm(FlaskForm):
    reason_code = SelectField("Why it came back", choices=[(k, v[0].upper() + v[1:]) for k, v in returns.REASONS.items()], validators=[DataRequired()])
    reason = StringField("In the buyer's words", validators=[Optional(), Length(max=returns.MAX_REASON)])
    returned_on = DateField("Came back on", default=date.today, validators=[DataRequired()])
    refund = AmountField("Refund to the buyer", default=None, validators=[Optional()])
    fee_returned = AmountField("Fee the channel gave back", default=None, validators=[Optional()])


@bp.post("/admin/inventory/<int:item_id>/return")
@roles(ADMIN)
def admin_record_return(item_id: int):
    item = stock.get_item(db.session, item_id)
    back = url_for("web.admin_inventory_item", item_id=item_id)
    form = ReturnForm()
    if item.sale is None:
        flash(f"Unit {item_id} was not sold: there is nothing to return.", "error")
        return redirect(back)
    if not form.validate_on_submit():
        flash(f"Not recorded: {form_errors(form)}.", "error")
        return redirect(back)
    sale: Sale = item.sale
    refund = form.refund.data if form.refund.data is not None else sale.price
    if not confirmed():
        return confirm_page(f"Take unit {item_id} ({item.sku}) back from {sale.buyer_reference}?", [
            f"It came back on {form.returned_on.data.isoformat()}: {returns.REASONS[form.reason_code.data]}"
            f"{f' ({form.reason.data.strip()})' if (form.reason.data or '').strip() else ''}. "
            f"Its warranty runs until {sale.warranty_until.isoformat() if sale.warranty_until else '(none recorded)'}.",
            f"The buyer gets {fmt(refund)} {sale.currency} back; the client's settlement for the batch loses it "
            "(less any fee the channel gives back).",
            "The unit goes back to the bench to be re-tested and re-graded before it is listed again"
            + ("; its locks are to be checked again." if needs_lock_checks(item.category) else "."),
        ], "Record the return", cancel=back, danger=False)
    ok, row = attempt(returns.record_return, db.session, current_user, sale, reason_code=form.reason_code.data,
                      reason=form.reason.data, returned_on=form.returned_on.data, refund=form.refund.data,
                      fee_returned=form.fee_returned.data)
    if ok:
        flash(f"Unit {item_id} is back from {sale.buyer_reference}: re-test and re-grade it at the bench.", "success")
        return redirect(url_for("web.bench_device", device_id=row.device_id))
    return redirect(back)


@bp.get("/admin/returns")
@roles(ADMIN)
def admin_returns():
    return render_template("admin/returns.html", rows=returns.returns(db.session), reasons=returns.REASONS, fmt=fmt)


@bp.get("/admin/quality")
@roles(ADMIN)
def admin_quality():
    by = request.args.get("by") if request.args.get("by") in returns.DIMENSIONS else "grade"
    start, end = period(day(request.args.get("start")), day(request.args.get("end")))
    ok, report = attempt(returns.quality, db.session, by=by, start=start, end=end)
    return render_template("admin/quality.html", report=report if ok else None, by=by, start=start, end=end,
                           dimensions=returns.DIMENSIONS, reasons=returns.REASONS)
