"""The client portal: the batch list with progress, a batch's devices, exceptions and custody
timeline, and registering a batch from an asset list.

Operator staff see every client's batches through the same pages; clients see their own only
(the tenant rule in itad.batches: a foreign id is the same 404 page as a missing one).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from itad import accounts, batches
from itad.auth.access import get_visible
from itad.certification import issuing
from itad.errors import Invalid, TooLarge
from itad.intake import service as intake
from itad.models import Certificate, db
from itad.web import ADMIN, CLIENT, OPERATOR, TECHNICIAN, bp, download, roles
from itad.web.progress import STATE_ORDER, bar_segments
from itad.web.unit_of_work import attempt
from workflows.machine import ALL_STATES

DEVICE_PAGE = 100
EXCEPTION_STATES = ("unexpected", "missing", "matched")


def _cursor() -> int | None:
    return request.args.get("after", type=int)


@bp.get("/")
@login_required
def index():
    if current_user.role == TECHNICIAN:
        return redirect(url_for("web.bench"))
    status = request.args.get("status")
    status = status if status in ("open", "closed") else None
    rows, next_cursor = batches.list_batches(db.session, current_user, status=status, limit=50, cursor=_cursor())
    counts = batches.state_counts(db.session, [b.id for b in rows])
    return render_template("portal/batches.html", batches=rows, counts=counts, status=status,
                           next_cursor=next_cursor, segments={b.id: bar_segments(counts[b.id]) for b in rows})


@bp.get("/batches/<int:batch_id>")
@roles(CLIENT, *OPERATOR)
def batch(batch_id: int):
    found = batches.get_batch(db.session, current_user, batch_id)
    state = request.args.get("state") or None
    state = state if state in ALL_STATES else None
    serial = (request.args.get("serial") or "").strip()[:120] or None
    devices, next_cursor = batches.list_devices(db.session, current_user, found.id, state=state,
                                                serial_prefix=serial, limit=DEVICE_PAGE, cursor=_cursor())
    counts = batches.state_counts(db.session, [found.id])[found.id]
    exceptions = [d for s in EXCEPTION_STATES
                  for d in batches.list_devices(db.session, current_user, found.id, state=s, limit=DEVICE_PAGE)[0]]
    events = batches.custody_timeline(db.session, current_user, found.id, limit=200)
    return render_template("portal/batch.html", batch=found, devices=devices, next_cursor=next_cursor,
                           counts=counts, segments=bar_segments(counts), states=STATE_ORDER, state=state,
                           serial=serial or "", exceptions=exceptions, events=events,
                           serials=batches.serials_of(db.session, [e.device_id for e in events]),
                           can_close=current_user.role == ADMIN and found.status == "open",
                           uncertified=len(issuing.devices_without_certificate(db.session, found.id)),
                           certificates=issuing.batch_certificates(db.session, current_user, found.id))


@bp.post("/batches/<int:batch_id>/data-handling")
@roles(CLIENT, ADMIN)
def batch_data_handling(batch_id: int):
    found = batches.get_batch(db.session, current_user, batch_id)
    backed = request.form.get("data_backed_up", "")
    ok, _ = attempt(intake.state_data_handling, db.session, current_user, found,
                    confidentiality=request.form.get("confidentiality") or None,
                    data_backed_up={"yes": True, "no": False}.get(backed))
    if ok:
        flash("Saved: the certificate will print what you stated.", "success")
    return redirect(url_for("web.batch", batch_id=found.id))


@bp.post("/batches/<int:batch_id>/device-certificates")
@roles(CLIENT, *OPERATOR)
def batch_device_certificates(batch_id: int):
    found = batches.get_batch(db.session, current_user, batch_id)
    ok, queued = attempt(issuing.request_device_certificates, db.session, current_user, found)
    if ok and queued is not None:
        flash("The device certificates are being made; each is signed. Download them below when they are listed.",
              "success")
    return redirect(url_for("web.batch", batch_id=found.id))


@bp.get("/batches/<int:batch_id>/device-certificates.zip")
@roles(CLIENT, *OPERATOR)
def batch_device_certificates_zip(batch_id: int):
    data, count, _ = issuing.device_certificates_zip(db.session, current_user, batch_id)
    if not count:
        flash("No device certificate is issued yet.", "error")
        return redirect(url_for("web.batch", batch_id=batch_id))
    return download(data, "application/zip", f"batch-{batch_id}-device-certificates.zip")


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id: int):
    """The signed PDF, for the owning client and the operator; anyone else gets the 404 page."""
    cert = get_visible(db.session, Certificate, certificate_id, current_user, "certificate")
    return download(issuing.read_pdf(cert), "application/pdf", f"{cert.number}.pdf")


@bp.get("/certificates/<int:certificate_id>.json")
@login_required
def certificate_json(certificate_id: int):
    """The machine-readable certificate (same content as the PDF), for the same readers."""
    cert = get_visible(db.session, Certificate, certificate_id, current_user, "certificate")
    return download(issuing.read_json(cert), "application/json", f"{cert.number}.json")


class NewBatchForm(FlaskForm):
    reference = StringField("Your reference (PO or ticket number)", validators=[DataRequired(), Length(max=120)])
    file = FileField("Asset list (CSV or XLSX)", validators=[FileRequired()])
    # Operator admins register on behalf of a client; clients register for themselves.
    organization_id = SelectField("Client", coerce=int, validate_choice=False)
    # NIST SP 800-88 App. G: only the client knows these; the certificate prints them, or "not stated".
    confidentiality = SelectField("Confidentiality of the data (FIPS 199)", choices=[
        ("", "Not stated"), ("low", "Low"), ("moderate", "Moderate"), ("high", "High")], default="")
    data_backed_up = SelectField("Data backed up before hand-over", choices=[
        ("", "Not stated"), ("yes", "Yes"), ("no", "No")], default="")


@bp.route("/batches/new", methods=["GET", "POST"])
@roles(CLIENT, ADMIN)
def new_batch():
    form = NewBatchForm()
    if current_user.role == ADMIN:
        form.organization_id.choices = [(o.id, o.name) for o in accounts.client_organizations(db.session)]
    if not form.validate_on_submit():
        return render_template("portal/new_batch.html", form=form, problems=None), (400 if form.errors else 200)
    upload = form.file.data
    data = upload.read()
    config = current_app.config
    organization_id = form.organization_id.data if current_user.role == ADMIN else None

    def register():
        organization = intake.target_organization(db.session, current_user, organization_id)
        return intake.register_batch(db.session, organization=organization, actor=current_user,
                                     reference=form.reference.data, data=data, filename=upload.filename or None,
                                     max_rows=config["INTAKE_MAX_ROWS"], max_bytes=config.get("MAX_CONTENT_LENGTH"),
                                     confidentiality=form.confidentiality.data or None,
                                     data_backed_up={"yes": True, "no": False}.get(form.data_backed_up.data))

    try:
        registration = register()
        db.session.commit()
    except (Invalid, TooLarge) as exc:
        db.session.rollback()
        problems = (exc.details or {}).get("problems") if isinstance(exc.details, dict) else None
        return render_template("portal/new_batch.html", form=form, error=exc.message, problems=problems,
                               problem_count=(exc.details or {}).get("problem_count") if isinstance(exc.details, dict) else None,
                               filename=upload.filename), exc.status
    registered = registration.batch
    if registration.created:
        flash(f"Batch {registered.reference} registered: {registration.rows} devices, {registration.media} drives.",
              "success")
    else:
        flash(f"This asset list was registered before, as batch {registered.reference}; nothing new was created.",
              "info")
    return redirect(url_for("web.batch", batch_id=registered.id))
