"""The admin's grading schemes: each category's cosmetic grades, checklist and rules (workflows.grading), edited
as JSON; a category without an admin's scheme shows the default it uses."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad.errors import Invalid
from itad.models import GradingScheme, db
from itad.steps import grading
from itad.web import ADMIN, bp, roles
from itad.web.unit_of_work import attempt
from workflows.grading import DEFAULT_SCHEMES


@bp.get("/admin/grading-schemes")
@roles(ADMIN)
def admin_grading_schemes():
    stored = {row.category: row for row in db.session.scalars(sa.select(GradingScheme).order_by(GradingScheme.category))}
    categories = sorted(set(stored) | set(DEFAULT_SCHEMES))
    schemes = [(c, stored.get(c), grading.scheme_for(db.session, c)) for c in categories]
    return render_template("admin/grading_schemes.html", schemes=schemes, dumps=lambda d: json.dumps(d, indent=2))


@bp.post("/admin/grading-schemes")
@roles(ADMIN)
def admin_set_grading_scheme():
    category = (request.form.get("category") or "").strip().lower()

    def save():
        try:
            definition = json.loads(request.form.get("definition") or "")
        except ValueError as exc:
            raise Invalid(f"The scheme is not valid JSON: {exc}.", code="invalid_scheme") from None
        return grading.set_scheme(db.session, current_user, category, definition)

    ok, row = attempt(save)
    if ok:
        flash(f"The {row.category} scheme is saved; grades from now on follow it.", "success")
    return redirect(url_for("web.admin_grading_schemes"))
