"""Buy quotes in the portal: quote a batch, read its lines, and how accurate quotes proved."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from itad import batches
from itad.inventory import quotes
from itad.inventory.money import fmt
from itad.models import db
from itad.web import ADMIN, CLIENT, bp, roles
from itad.web.unit_of_work import attempt


@bp.post("/batches/<int:batch_id>/quote")
@roles(CLIENT, ADMIN)
def batch_make_quote(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    attempt(quotes.quote_batch, db.session, current_user, batch,
            currency=(request.form.get("currency") or "EUR").strip().upper()[:3])
    return redirect(url_for("web.batch_quote", batch_id=batch.id))


@bp.get("/batches/<int:batch_id>/quote")
@roles(CLIENT, ADMIN)
def batch_quote(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    quote = quotes.latest(db.session, current_user, batch.id)
    lines = quotes.lines_of(db.session, quote, limit=100, after=request.args.get("after", type=int)) if quote else None
    serials = batches.serials_of(db.session, [line.device_id for line in lines.rows]) if lines else {}
    return render_template("portal/quote.html", batch=batch, quote=quote, lines=lines, serials=serials,
                           accuracy=quotes.accuracy(db.session, batch_id=batch.id) if quote else None, fmt=fmt)


@bp.get("/quotes/accuracy")
@roles(CLIENT, ADMIN)
def quote_accuracy_page():
    report = quotes.accuracy(db.session, organization_id=None if current_user.role == ADMIN
                             else current_user.organization_id)
    return render_template("portal/quote_accuracy.html", report=report, fmt=fmt)
