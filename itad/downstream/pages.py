"""Lots, downstream vendors and shipments, the mass balance and the environmental summary in the pages.

A batch's page of weights (/batches/<id>/downstream): its lots as declared and counted, the loose drives still to
account for, the shipments it went out in, its mass balance and CO2e, and its certificates of recycling (the client
reads; operators record; admins issue). Admins keep vendors and factors on /admin/downstream; operators record
shipments there. A client reads its environmental summary per period on /environment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad import batches, downstream
from itad.downstream import balance, impact, recycling
from itad.models import Batch, Certificate, DownstreamVendor, Organization, OutboundShipment, db
from itad.periods import day, period
from itad.web import ADMIN, CLIENT, OPERATOR, bp, roles
from itad.web.pairs import pairs
from itad.web.unit_of_work import attempt
from workflows.sanitization import DESTROY_TECHNIQUES, WIPE_TECHNIQUES


def _number(name: str, kind=int):
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except (ValueError, InvalidOperation):
        return "bad"


@bp.get("/batches/<int:batch_id>/downstream")
@roles(CLIENT, *OPERATOR)
def batch_downstream(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    certs = db.session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch.id,
                                                            Certificate.kind == recycling.KIND)
                               .order_by(Certificate.id.desc())).all()
    return render_template("downstream/batch.html", batch=batch, lines=downstream.reconcile_lots(db.session, batch.id),
                           shipped=downstream.shipments_of_batch(db.session, batch.id),
                           mass=balance.of_batch(db.session, batch), certs=certs, categories=downstream.LOT_CATEGORIES,
                           data_lots=downstream.DATA_LOTS, techniques=sorted(DESTROY_TECHNIQUES),
                           wipe_techniques=WIPE_TECHNIQUES, pieces_text=downstream.pieces_text)


def _back(batch_id: int, message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url_for("web.batch_downstream", batch_id=batch_id))


@bp.post("/batches/<int:batch_id>/downstream/lots")
@roles(*OPERATOR)
def batch_record_lot(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    count, weight = _number("count"), _number("weight_kg", Decimal)
    if "bad" in (count, weight):
        flash("The count is a whole number and the weight a number of kg.", "error")
        return _back(batch_id)
    ok, lot = attempt(downstream.record_lot, db.session, current_user, batch, request.form.get("category", ""),
                      request.form.get("stage", ""), count=count, weight_kg=weight)
    return _back(batch_id, f"Lot {lot.category.replace('_', ' ')} recorded." if ok else None)


@bp.post("/lots/<int:lot_id>/account")
@roles(*OPERATOR)
def lot_account(lot_id: int):
    lot, batch = downstream.get_lot(db.session, current_user, lot_id)
    figures = {k: _number(k) for k in ("wiped", "destroyed", "missing")}
    if "bad" in figures.values():
        flash("Counts are whole numbers.", "error")
        return _back(batch.id)
    ok, _ = attempt(downstream.account_pieces, db.session, current_user, lot, batch,
                    **{k: v or 0 for k, v in figures.items()}, technique=request.form.get("technique"),
                    wipe_technique=request.form.get("wipe_technique"),
                    reason=request.form.get("reason"))
    return _back(batch.id, "Pieces accounted." if ok else None)


@bp.post("/lots/<int:lot_id>/process")
@roles(*OPERATOR)
def lot_process(lot_id: int):
    lot, batch = downstream.get_lot(db.session, current_user, lot_id)
    ok, _ = attempt(downstream.process_lot, db.session, current_user, lot, batch)
    return _back(batch.id, "The lot went into the outbound streams." if ok else None)


@bp.post("/batches/<int:batch_id>/recycling-certificate")
@roles(ADMIN)
def batch_issue_recycling(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    ok, cert = attempt(recycling.issue, db.session, current_user, batch, request.form.get("reason") or None)
    return _back(batch_id, f"Certificate of recycling {cert.number} issued." if ok else None)


@bp.get("/admin/downstream")
@roles(*OPERATOR)
def admin_downstream():
    vendors = downstream.vendors(db.session)
    certified = downstream.certifications_by_vendor(db.session, [v.id for v in vendors])
    shipments = db.session.execute(
        sa.select(OutboundShipment, DownstreamVendor.name).join(DownstreamVendor)
        .order_by(OutboundShipment.shipped_on.desc(), OutboundShipment.id.desc()).limit(100)).all()
    return render_template("downstream/admin.html", vendors=vendors, certified=certified, shipments=shipments,
                           standards=downstream.STANDARDS, factors=sorted(impact.factors(db.session).values(),
                                                                          key=lambda f: f.category),
                           today=date.today())


def _to_admin(message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url_for("web.admin_downstream"))


@bp.post("/admin/downstream/vendors")
@roles(ADMIN)
def admin_add_vendor():
    ok, v = attempt(downstream.add_vendor, db.session, current_user, request.form.get("name", ""),
                    request.form.get("address"))
    return _to_admin(f"Vendor {v.name} added." if ok else None)


@bp.post("/admin/downstream/vendors/<int:vendor_id>/certifications")
@roles(ADMIN)
def admin_add_certification(vendor_id: int):
    vendor = downstream.get_vendor(db.session, vendor_id)
    try:
        start, end = (date.fromisoformat(request.form.get(k) or "") for k in ("valid_from", "expires_on"))
    except ValueError:
        flash("Give the certification's first and last valid days.", "error")
        return _to_admin()
    ok, c = attempt(downstream.add_certification, db.session, current_user, vendor,
                    standard=request.form.get("standard", ""),
                    certificate_number=request.form.get("certificate_number", ""), valid_from=start, expires_on=end)
    return _to_admin(f"{vendor.name}: {c.standard} {c.certificate_number} recorded." if ok else None)


def allocations(text: str) -> list[tuple[int, Decimal]]:
    """'ACME-PO-17: 40' per line: each batch's share (kg) of a shipment, by the batch's reference, or by its id
    ('#12: 40') where clients' references are the same."""
    out = []
    for name, kg, line in pairs(text):
        try:
            share = Decimal(kg)
        except InvalidOperation:
            share = None
        if name.startswith("#") and name[1:].isdigit():
            found = db.session.execute(sa.select(Batch.id, Organization.name).join(Organization)
                                       .where(Batch.id == int(name[1:]))).all()
        else:
            found = db.session.execute(sa.select(Batch.id, Organization.name).join(Organization)
                                       .where(Batch.reference == name).order_by(Batch.id)).all()
        if len(found) > 1:
            raise ValueError(f"Batch reference {name!r} names batches of {', '.join(o for _, o in found)}: write "
                             f"the batch's id instead ({', '.join(f'#{b}' for b, _ in found)}); line {line!r}.")
        if not found or share is None:
            raise ValueError(f"Write each batch's share as 'batch reference: kg' (or '#batch id: kg'); not {line!r}.")
        out.append((found[0][0], share))
    return out


@bp.post("/admin/downstream/shipments")
@roles(*OPERATOR)
def admin_ship():
    form = request.form
    try:
        weight = Decimal(form.get("weight_kg") or "x")
        shipped_on = date.fromisoformat(form.get("shipped_on") or "")
        parts = allocations(form.get("allocations", ""))
    except (InvalidOperation, ValueError) as exc:
        flash(str(exc) if "batch" in str(exc) else "Give the weight (kg) and the shipping day.", "error")
        return _to_admin()
    ok, s = attempt(downstream.ship, db.session, current_user, downstream.get_vendor(db.session, form.get("vendor_id", type=int) or 0),
                    stream=form.get("stream", ""), purpose=form.get("purpose", ""), weight_kg=weight,
                    shipped_on=shipped_on, reference=form.get("reference"), allocations=parts)
    return _to_admin(f"Shipment of {s.weight_kg} kg of {s.stream} recorded." if ok else None)


@bp.post("/admin/downstream/factors")
@roles(ADMIN)
def admin_set_factor():
    try:
        kg = Decimal(request.form.get("co2e_avoided_kg") or "x")
    except InvalidOperation:
        flash("The CO2e avoided is a number of kg.", "error")
        return _to_admin()
    ok, f = attempt(impact.set_factor, db.session, current_user, request.form.get("category", ""), kg,
                    request.form.get("source", ""))
    return _to_admin(f"Factor for {f.category} set." if ok else None)


@bp.get("/environment")
@roles(CLIENT, ADMIN)
def environment_page():
    start, end = period(day(request.args.get("start")), day(request.args.get("end")))
    clients = db.session.scalars(sa.select(Organization).where(Organization.kind == "client")
                                 .order_by(Organization.name)).all() if current_user.role == ADMIN else []
    client_id = current_user.organization_id if current_user.role == CLIENT else request.args.get("client", type=int)
    total, rows = balance.of_period(db.session, start, end, client_id)
    return render_template("downstream/environment.html", total=total, rows=rows, start=start, end=end,
                           clients=clients, client_id=client_id)
