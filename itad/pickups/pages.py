"""Pickups in the pages: a client requests one and follows it (status, schedule, containers, any seal exception, the
signed bill of lading); the crew and admins take it through its steps from the same page. Each form calls one
itad.pickups service and commits once; a refused step comes back as a message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad import documents, pickups
from itad.auth.access import scope
from itad.errors import Invalid
from itad.models import Batch, Organization, db
from itad.periods import day
from itad.web import ADMIN, CLIENT, OPERATOR, bp, download, roles
from itad.web.pairs import pairs
from itad.web.unit_of_work import attempt
from workflows import pickups as flow

EVERYONE = (CLIENT, *OPERATOR)


def _day(name: str) -> date | None:
    return day(request.form.get(name))


def expected_counts(text: str) -> dict[str, int]:
    """'laptop: 40' per line (or comma): the counts a client expects to hand over, by category."""
    out: dict[str, int] = {}
    for category, count, line in pairs(text, commas=True):
        if not count.isdigit() or not category:
            raise Invalid(f"Write each expected count as 'category: number'; not {line!r}.", code="invalid_expected")
        out[category.lower()] = int(count)
    return out


@bp.get("/pickups")
@roles(*EVERYONE)
def pickups_page():
    open_batches = pickups.batches_to_carry(db.session, scope(sa.select(Batch), Batch, current_user))
    clients = db.session.scalars(sa.select(Organization).where(Organization.kind == "client")
                                 .order_by(Organization.name)).all() if current_user.role == ADMIN else []
    rows = pickups.list_pickups(db.session, current_user)
    names = dict(db.session.execute(sa.select(Organization.id, Organization.name)
                                    .where(Organization.id.in_({p.organization_id for p in rows}))).all())
    return render_template("pickups/list.html", rows=rows, names=names, open_batches=open_batches, clients=clients,
                           today=date.today())


@bp.post("/pickups")
@roles(CLIENT, ADMIN)
def request_pickup_page():
    form = request.form
    start, end = _day("window_start"), _day("window_end")
    if start is None or end is None:
        flash("Give the first and the last day the site can hand over.", "error")
        return redirect(url_for("web.pickups_page"))
    try:
        expected = expected_counts(form.get("expected", ""))
    except Invalid as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.pickups_page"))
    ok, row = attempt(pickups.request_pickup, db.session, current_user, site_address=form.get("site_address", ""),
                      contact_name=form.get("contact_name", ""), contact_phone=form.get("contact_phone", ""),
                      window_start=start, window_end=end, expected=expected, loading_notes=form.get("loading_notes"),
                      batch_ids=[int(v) for v in form.getlist("batch_id") if v.isdigit()],
                      organization_id=form.get("organization_id", type=int))
    if not ok:
        return redirect(url_for("web.pickups_page"))
    flash(f"Pickup PU-{row.id} requested; you will see here when it is scheduled.", "success")
    return redirect(url_for("web.pickup_page", pickup_id=row.id))


@bp.get("/pickups/<int:pickup_id>")
@roles(*EVERYONE)
def pickup_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    containers = pickups.containers_of(db.session, p)
    addable = pickups.batches_to_carry(db.session, sa.select(Batch).where(Batch.organization_id == p.organization_id)) \
        if p.status in ("requested", "scheduled") and current_user.role in (CLIENT, ADMIN) else []
    return render_template("pickups/pickup.html", p=p, containers=containers,
                           batches=pickups.batches_of(db.session, p), client=db.session.get(Organization, p.organization_id),
                           exceptions=pickups.exceptions_of(containers),
                           steps=flow.STATES[:-1], kinds=flow.CONTAINER_KINDS, today=date.today(),
                           weight=sum((c.weight_kg for c in containers), Decimal("0")),
                           counts=pickups.expected_vs_received(db.session, p), addable=addable,
                           pieces=sum(c.pieces for c in containers))


@bp.get("/pickups/<int:pickup_id>/manifest.pdf")
@roles(*EVERYONE)
def pickup_manifest_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    if not p.manifest_sha256:
        abort(404)
    return download(documents.storage(db.session, current_app.config).get(p.manifest_sha256), "application/pdf",
                    f"pickup-PU-{p.id}.pdf")


def _back(pickup_id: int, message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url_for("web.pickup_page", pickup_id=pickup_id))


@bp.post("/pickups/<int:pickup_id>/schedule")
@roles(*OPERATOR)
def pickup_schedule_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    on = _day("scheduled_for")
    if on is None:
        flash("Give the day of the pickup.", "error")
        return _back(pickup_id)
    ok, _ = attempt(pickups.schedule, db.session, current_user, p, scheduled_for=on,
                    crew=request.form.get("crew", ""), vehicle=request.form.get("vehicle", ""),
                    expected_version=request.form.get("version", type=int))
    return _back(pickup_id, f"Scheduled for {on.isoformat()}." if ok else None)


@bp.post("/pickups/<int:pickup_id>/containers")
@roles(*OPERATOR)
def pickup_container_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    form = request.form
    try:
        weight = Decimal(form.get("weight_kg") or "x")
        pieces = int(form.get("pieces") or "x")
    except (InvalidOperation, ValueError):
        flash("Give the container's piece count and weight (kg) as numbers.", "error")
        return _back(pickup_id)
    ok, row = attempt(pickups.add_container, db.session, current_user, p, kind=form.get("kind", ""),
                      seal_number=form.get("seal_number", ""), pieces=pieces, weight_kg=weight)
    return _back(pickup_id, f"Container sealed {row.seal_number} recorded." if ok else None)


@bp.post("/pickups/<int:pickup_id>/handoff")
@roles(*OPERATOR)
def pickup_handoff_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    ok, _ = attempt(pickups.hand_off, db.session, current_user, p,
                    client_representative=request.form.get("client_representative", ""),
                    driver=request.form.get("driver", ""), expected_version=request.form.get("version", type=int))
    return _back(pickup_id, "Handoff signed: the bill of lading is ready." if ok else None)


@bp.post("/pickups/<int:pickup_id>/move/<action>")
@roles(*OPERATOR)
def pickup_move_page(pickup_id: int, action: str):
    steps = {"depart": pickups.depart, "arrive": pickups.arrive, "reconcile": pickups.reconcile}
    if action not in steps:
        abort(404)
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    ok, row = attempt(steps[action], db.session, current_user, p, expected_version=request.form.get("version", type=int))
    return _back(pickup_id, f"Pickup PU-{pickup_id} is {row.status.replace('_', ' ')}." if ok else None)


@bp.post("/pickups/<int:pickup_id>/containers/<int:container_id>/check")
@roles(*OPERATOR)
def pickup_check_page(pickup_id: int, container_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    ok, row = attempt(pickups.check_seal, db.session, current_user, p, container_id,
                      seal_read=request.form.get("seal_read", ""), intact=request.form.get("intact") == "1",
                      note=request.form.get("note"))
    if ok and row.seal_result != "intact":
        flash(f"Seal {row.seal_number}: {row.seal_result.upper()} (read {row.seal_read}). The client is told.", "error")
        return _back(pickup_id)
    return _back(pickup_id, f"Seal {row.seal_number} intact." if ok else None)


@bp.post("/pickups/<int:pickup_id>/batches")
@roles(CLIENT, ADMIN)
def pickup_add_batch_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    ok, batch = attempt(pickups.add_batch, db.session, current_user, p, request.form.get("batch_id", type=int) or 0)
    return _back(pickup_id, f"Batch {batch.reference} travels in this pickup." if ok else None)


@bp.post("/pickups/<int:pickup_id>/cancel")
@roles(CLIENT, ADMIN)
def pickup_cancel_page(pickup_id: int):
    p = pickups.get_pickup(db.session, current_user, pickup_id)
    ok, _ = attempt(pickups.cancel, db.session, current_user, p, reason=request.form.get("reason", ""),
                    expected_version=request.form.get("version", type=int))
    return _back(pickup_id, "Pickup cancelled." if ok else None)
