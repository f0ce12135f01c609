"""The first page after sign-in."""

from flask import render_template
from flask_login import current_user, login_required

from itad import batches
from itad.models import db
from itad.web import bp


@bp.get("/")
@login_required
def index():
    rows, _ = batches.list_batches(db.session, current_user, status=None, limit=50, cursor=None)
    counts = batches.state_counts(db.session, [b.id for b in rows])
    return render_template("index.html", batches=rows, counts=counts)
