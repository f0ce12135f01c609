"""The client portal: the batch list with progress, a batch's devices, exceptions and custody
timeline, and registering a batch from an asset list.

Operator staff see every client's batches through the same pages; clients see their own only
(the tenant rule in itad.batches: a foreign id is the same 404 page as a missing one).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from certificates.storage import StorageKeyError
from itad import accounts, batches, documents
from itad.batches import export
from itad.auth.access import get_visible
from itad.certification import issuing
from itad.errors import Invalid, TooLarge
from itad.intake import preview
from itad.intake import service as intake
from itad.models import Certificate, db
from itad.steps import closing, locks
from itad.web.confirming import confirm_page, confirmed
from itad.web import ADMIN, CLIENT, OPERATOR, TECHNICIAN, bp, download, roles
from itad.web.progress import STATE_ORDER, bar_segments
from itad.web.unit_of_work import attempt
from workflows.machine import ALL_STATES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEVICE_PAGE = 100
TIMELINE_PAGE = 50
SEARCH_PAGE = 50
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
    found = batches.list_batches(db.session, current_user, status=status, limit=50, cursor=_cursor(),
                                 before=request.args.get("before", type=int), look_back=True)
    counts = batches.state_counts(db.session, [b.id for b in found.rows])
    return render_template("portal/batches.html", batches=found, counts=counts, status=status,
                           segments={b.id: bar_segments(counts[b.id]) for b in found.rows})


@bp.get("/batches/<int:batch_id>")
@roles(CLIENT, *OPERATOR)
def batch(batch_id: int):
    found = batches.get_batch(db.session, current_user, batch_id)
    args = request.args
    state = args.get("state") if args.get("state") in ALL_STATES else None
    serial = (args.get("serial") or "").strip()[:120] or None
    devices = batches.list_devices(db.session, current_user, found.id, state=state, serial_prefix=serial,
                                   limit=DEVICE_PAGE, cursor=_cursor(), before=args.get("before", type=int),
                                   look_back=True)
    counts = batches.state_counts(db.session, [found.id])[found.id]
    exceptions = [d for s in EXCEPTION_STATES
                  for d in batches.list_devices(db.session, current_user, found.id, state=s, limit=DEVICE_PAGE).rows]
    actions = batches.custody_actions(db.session, found)
    action = args.get("event") if args.get("event") in actions else None
    event_serial = (args.get("event_serial") or "").strip()[:120] or None
    events = batches.custody_timeline(db.session, current_user, found.id, limit=TIMELINE_PAGE, action=action,
                                      serial=event_serial, after=args.get("events_after", type=int),
                                      before=args.get("events_before", type=int))
    return render_template("portal/batch.html", batch=found, devices=devices, counts=counts,
                           tally=batches.tally(db.session, found), segments=bar_segments(counts), states=STATE_ORDER,
                           state=state, serial=serial or "", exceptions=exceptions, events=events, actions=actions,
                           action=action, event_serial=event_serial or "",
                           serials=batches.serials_of(db.session, [e.device_id for e in events.rows]),
                           drives=batches.drive_names(db.session, events.rows),
                           can_close=current_user.role == ADMIN and found.status == "open",
                           closing=closing.closing_job(db.session, found)
                           if current_user.role == ADMIN and found.status == "open" else None,
                           uncertified=len(issuing.devices_without_certificate(db.session, found.id)),
                           certificates=issuing.batch_certificates(db.session, current_user, found.id))


@bp.get("/batches/<int:batch_id>/export.<any(csv, xlsx):kind>")
@roles(CLIENT, *OPERATOR)
def batch_export(batch_id: int, kind: str):
    """Every device and drive of the batch with its final disposition (itad.batches.export)."""
    found = batches.get_batch(db.session, current_user, batch_id)
    name = f"batch-{found.id}-disposition.{kind}"
    if kind == "csv":
        return download(export.as_csv(db.session, found), "text/csv; charset=utf-8", name)
    return download(export.as_xlsx(db.session, found), XLSX, name)


@bp.get("/devices/<int:device_id>")
@roles(CLIENT, *OPERATOR)
def device(device_id: int):
    """One device as its owner reads it: drives, every wipe and its verification, grade, resale,
    certificates and its custody events."""
    record = batches.device_record(db.session, current_user, device_id)
    found = record.device
    events = batches.custody_timeline(db.session, current_user, found.batch_id, device_id=found.id,
                                      limit=TIMELINE_PAGE, after=request.args.get("events_after", type=int),
                                      before=request.args.get("events_before", type=int))
    checks = {}
    for check in record.history.checks:
        checks.setdefault(check.sanitization_record_id, []).append(check)
    return render_template("portal/device.html", record=record, device=found, batch=found.batch, events=events,
                           checks=checks, drives=batches.drive_names(db.session, events.rows))


@bp.get("/locked")
@roles(CLIENT, ADMIN)
def locked_devices():
    """Phones and tablets held by a lock: the client releases the lock (and asks for a re-check), or has the
    unit destroyed."""
    return render_template("portal/locked.html", devices=locks.locked_devices(db.session, current_user))


@bp.post("/devices/<int:device_id>/lock-answer")
@roles(CLIENT, ADMIN)
def device_lock_answer(device_id: int):
    found = batches.get_device(db.session, current_user, device_id)
    action = request.form.get("action", "")
    if action == "destroy" and not confirmed():
        return confirm_page(f"Have {found.serial} destroyed?", [
            f"{found.serial} is physically destroyed with its storage, and certified so; it is never resold.",
            "The bench records the destruction; you see it on the device's page and the certificate.",
        ], "Destroy it", cancel=url_for("web.device", device_id=found.id))
    ok, _ = attempt(locks.instruct, db.session, current_user, found.id, action, request.form.get("note"))
    if ok:
        flash("Thank you: the bench will check the lock again." if action == "recheck"
              else f"{found.serial} will be destroyed.", "success")
    return redirect(url_for("web.device", device_id=found.id))


@bp.get("/search")
@roles(CLIENT, *OPERATOR)
def search():
    """A serial or asset tag, whole or its start, across every batch the user may see."""
    code = (request.args.get("q") or "").strip()[:120]
    found = batches.search_devices(db.session, current_user, code, limit=SEARCH_PAGE, after=_cursor(),
                                   before=request.args.get("before", type=int)) if code else None
    if found and len(found.rows) == 1 and not found.after and not found.before:
        return redirect(url_for("web.device", device_id=found.rows[0].id))
    return render_template("portal/search.html", code=code, found=found)


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
    # Not required when a list checked a moment ago waits in the session (see STAGED).
    file = FileField("Asset list (CSV or XLSX)")
    # Operator admins register on behalf of a client; clients register for themselves.
    organization_id = SelectField("Client", coerce=int, validate_choice=False)
    # NIST SP 800-88 App. G: only the client knows these; the certificate prints them, or "not stated".
    confidentiality = SelectField("Confidentiality of the data (FIPS 199)", choices=[
        ("", "Not stated"), ("low", "Low"), ("moderate", "Moderate"), ("high", "High")], default="")
    data_backed_up = SelectField("Data backed up before hand-over", choices=[
        ("", "Not stated"), ("yes", "Yes"), ("no", "No")], default="")


# A list checked with "Check the list" is kept in the document store, and its SHA-256 and name in the
# signed session cookie, so "Register" takes the very bytes that were checked without a second upload.
STAGED = "staged_asset_list"


@bp.get("/batches/template.<any(csv, xlsx):kind>")
@roles(CLIENT, ADMIN)
def batch_template(kind: str):
    if kind == "csv":
        return download(preview.template_csv(), "text/csv; charset=utf-8", "asset-list-template.csv")
    return download(preview.template_xlsx(), XLSX, "asset-list-template.xlsx")


@bp.route("/batches/new", methods=["GET", "POST"])
@roles(CLIENT, ADMIN)
def new_batch():
    form = NewBatchForm()
    if current_user.role == ADMIN:
        form.organization_id.choices = [(o.id, o.name) for o in accounts.client_organizations(db.session)]
    staged = cookie.get(STAGED) if request.method == "POST" else None
    if request.method == "GET":
        cookie.pop(STAGED, None)
    upload = form.file.data if form.file.data and getattr(form.file.data, "filename", "") else None
    valid = form.validate_on_submit()
    if valid and upload is None and staged is None:
        form.file.errors = ["Choose the asset list to upload."]
        valid = False
    if not valid:
        return render_template("portal/new_batch.html", form=form, problems=None, staged=staged,
                               template=preview.TEMPLATE), (400 if form.errors else 200)
    config = current_app.config
    store = documents.storage(db.session, config)
    if upload is not None:
        data, filename = upload.read(), upload.filename or None
    else:
        try:
            data, filename = store.get(staged["sha256"]), staged["filename"]
        except StorageKeyError:     # content-addressed: the same bytes registered elsewhere took the copy
            cookie.pop(STAGED, None)
            form.file.errors = ["The list you checked is no longer kept: choose it again."]
            return render_template("portal/new_batch.html", form=form, problems=None, staged=None,
                                   template=preview.TEMPLATE), 400

    if request.form.get("step") == "check":
        try:
            checked = preview.preview(data, max_rows=config["INTAKE_MAX_ROWS"], max_bytes=config.get("MAX_CONTENT_LENGTH"))
        except (Invalid, TooLarge) as exc:
            cookie.pop(STAGED, None)
            return _refused(form, exc, filename)
        cookie[STAGED] = {"sha256": store.put(data), "filename": filename}
        db.session.commit()
        return render_template("portal/new_batch.html", form=form, problems=checked.problems or None,
                               problem_count=checked.problem_count, checked=checked, filename=filename,
                               staged=cookie[STAGED], template=preview.TEMPLATE,
                               understood=_understood(checked.columns))

    organization_id = form.organization_id.data if current_user.role == ADMIN else None

    def register():
        organization = intake.target_organization(db.session, current_user, organization_id)
        return intake.register_batch(db.session, organization=organization, actor=current_user,
                                     reference=form.reference.data, data=data, filename=filename,
                                     max_rows=config["INTAKE_MAX_ROWS"], max_bytes=config.get("MAX_CONTENT_LENGTH"),
                                     confidentiality=form.confidentiality.data or None,
                                     data_backed_up={"yes": True, "no": False}.get(form.data_backed_up.data))

    try:
        registration = register()
        db.session.commit()
    except (Invalid, TooLarge) as exc:
        db.session.rollback()
        return _refused(form, exc, filename)
    if upload is None:      # the checked list is registered: its staged copy is no longer needed
        store.delete(staged["sha256"])
        db.session.commit()
    cookie.pop(STAGED, None)
    registered = registration.batch
    if registration.created:
        flash(f"Batch {registered.reference} registered: {registration.rows} devices, {registration.media} drives.",
              "success")
    else:
        flash(f"This asset list was registered before, as batch {registered.reference}; nothing new was created.",
              "info")
    return redirect(url_for("web.batch", batch_id=registered.id))


def _refused(form, exc, filename):
    details = exc.details if isinstance(exc.details, dict) else {}
    return render_template("portal/new_batch.html", form=form, error=exc.message, problems=details.get("problems"),
                           problem_count=details.get("problem_count"), filename=filename, staged=cookie.get(STAGED),
                           template=preview.TEMPLATE), exc.status


FIELD_WORDS = {"serial": "the device's serial number", "asset_tag": "your asset tag", "manufacturer": "make",
               "model": "model", "category": "category"}


def _understood(columns: dict) -> list[tuple[str, str]]:
    """(header as written, how it was read) for each column of the file, in the file's order."""
    read = {header: FIELD_WORDS.get(name, name) for name, header in columns["fields"].items()}
    read.update({header: "drive serials" for header in columns["drive_serials"]})
    read.update({header: fact for header, fact in columns["drive_facts"].items()})
    read.update({header: "kept as written (no field of ours)" for header in columns["attributes"]})
    return [(h or "(no header)", read.get(h, "kept as written (no field of ours)" if h else "ignored when empty"))
            for h in columns["headers"]]
