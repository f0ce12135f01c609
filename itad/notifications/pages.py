"""The notifications page: a client's webhook endpoints (add one, its secret shown once; remove one) and the
latest deliveries with their status. Admins see and manage every client's."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad import accounts, notifications
from itad.models import db
from itad.web import ADMIN, CLIENT, bp, roles
from itad.web.unit_of_work import attempt


def _scope() -> int | None:
    return None if current_user.role == ADMIN else current_user.organization_id


def _page(status: int = 200, **extra):
    clients = accounts.client_organizations(db.session) if current_user.role == ADMIN else []
    return render_template("notifications.html", endpoints=notifications.endpoints(db.session, _scope()),
                           deliveries=notifications.deliveries(db.session, _scope(), limit=100),
                           events=notifications.EVENTS, clients=clients,
                           client_names={c.id: c.name for c in clients}, **extra), status


@bp.get("/notifications")
@roles(CLIENT, ADMIN)
def notifications_page():
    return _page()


@bp.post("/notifications/webhooks")
@roles(CLIENT, ADMIN)
def notifications_add_webhook():
    url = (request.form.get("url") or "").strip()[:500]
    events = [e for e in request.form.getlist("events") if e in notifications.EVENTS]

    def add():
        owner = notifications.owner_for(db.session, current_user, request.form.get("organization_id", type=int))
        return notifications.add_endpoint(db.session, owner, url, events)

    ok, endpoint = attempt(add)
    if not ok:
        return _page(422)
    # The secret is rendered this once, never put in a redirect.
    return _page(new_endpoint=endpoint)


@bp.post("/notifications/webhooks/<int:endpoint_id>/remove")
@roles(CLIENT, ADMIN)
def notifications_remove_webhook(endpoint_id: int):
    ok, endpoint = attempt(notifications.remove_endpoint, db.session, endpoint_id, _scope())
    if ok:
        flash(f"Removed: nothing more is sent to {endpoint.url}.", "success")
    return redirect(url_for("web.notifications_page"))
