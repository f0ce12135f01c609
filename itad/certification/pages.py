"""Admin pages for certificates of sanitization: the register (filter by client, batch, kind, status),
closed batches still without a certificate, issuing one, re-issuing (the new one supersedes) and
revoking with a reason (its units leave sellable stock). The services are itad.certification's."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from itad import accounts, batches
from itad.auth.access import get_visible
from itad.certification import issuing, keys, register
from itad.models import Certificate, Job, db
from itad.pagination import page
from itad.web.confirming import confirm_page, confirmed
from itad.web import ADMIN, bp, roles
from itad.web.unit_of_work import attempt

REGISTER_PAGE = 50


class IssueForm(FlaskForm):
    reason = StringField("Why (kept with the certificate)", validators=[Optional(), Length(max=500)])


class RevokeForm(FlaskForm):
    reason = StringField("Why it is revoked (shown on the public verify page)",
                         validators=[DataRequired(message="Say why the certificate is revoked."),
                                     Regexp(r"\S", message="Say why the certificate is revoked."), Length(max=500)])


def _filters() -> dict:
    args = request.args
    return {"organization_id": args.get("client", type=int), "batch_id": args.get("batch", type=int),
            "status": args.get("status") if args.get("status") in register.STATUSES else None,
            "kind": args.get("kind") if args.get("kind") in register.KINDS else None}


@bp.get("/admin/certificates")
@roles(ADMIN)
def admin_certificates():
    f = _filters()
    rows, next_cursor = page(db.session, register.search(**f), Certificate.id, REGISTER_PAGE,
                             request.args.get("after", type=int), newest_first=True)
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("admin/certificates.html", certificates=rows, next_cursor=next_cursor, f=f, query=query,
                           batches=register.batches_of(db.session, rows),
                           statuses=register.STATUSES, kinds=register.KINDS,
                           clients=accounts.client_organizations(db.session),
                           awaiting=register.awaiting_certificate(db.session, organization_id=f["organization_id"]),
                           signing_ready=issuing.signing_ready(db.session),
                           passphrase=keys.passphrase_configured(current_app.config), issue_form=IssueForm(formdata=None))


def _certificate(certificate_id: int) -> Certificate:
    return get_visible(db.session, Certificate, certificate_id, current_user, "certificate")


@bp.get("/admin/certificates/<int:certificate_id>")
@roles(ADMIN)
def admin_certificate(certificate_id: int):
    return _certificate_page(_certificate(certificate_id))


def _certificate_page(cert: Certificate, revoke_form: RevokeForm | None = None, status: int = 200):
    linked = {i: db.session.get(Certificate, i) for i in (cert.supersedes_id, cert.superseded_by_id) if i}
    return render_template("admin/certificate.html", cert=cert, batch=batches.get_batch(db.session, current_user,
                                                                                          cert.batch_id),
                           supersedes=linked.get(cert.supersedes_id), superseded_by=linked.get(cert.superseded_by_id),
                           issue_form=IssueForm(formdata=None), revoke_form=revoke_form or RevokeForm(formdata=None),
                           signing_ready=issuing.signing_ready(db.session)), status


def _after_request(req, done: str):
    """The job ran inline (no Redis) or went to a worker: say which, and open the certificate if it is there."""
    cert = issuing.certificate_for_request(db.session, req.id)
    if cert is not None:
        flash(f"Certificate {cert.number} {done}.", "success")
        return redirect(url_for("web.admin_certificate", certificate_id=cert.id))
    job = db.session.get(Job, req.job_id) if req.job_id else None
    if job is not None and job.state == "failed":
        flash(f"Certificate {req.number} could not be issued: {job.error}", "error")
    else:
        flash(f"Certificate {req.number} is being rendered and signed (job {req.job_id}); it appears here when done.",
              "info")
    return redirect(url_for("web.admin_certificates", batch=req.batch_id))


@bp.post("/admin/batches/<int:batch_id>/certificates")
@roles(ADMIN)
def admin_issue_batch_certificate(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    form = IssueForm()
    if not form.validate_on_submit():
        flash("The reason is too long (500 characters at most).", "error")
        return redirect(url_for("web.admin_certificates", batch=batch.id))
    ok, req = attempt(issuing.request_certificate, db.session, current_user, batch=batch,
                      reason=form.reason.data or "issued by an admin")
    if not ok:
        return redirect(url_for("web.admin_certificates", batch=batch.id))
    return _after_request(req, "issued")


@bp.post("/admin/certificates/<int:certificate_id>/reissue")
@roles(ADMIN)
def admin_reissue_certificate(certificate_id: int):
    cert = _certificate(certificate_id)
    form = IssueForm()
    if not form.validate_on_submit():
        flash("The reason is too long (500 characters at most).", "error")
        return redirect(url_for("web.admin_certificate", certificate_id=cert.id))
    ok, req = attempt(issuing.reissue, db.session, current_user, cert, form.reason.data or "re-issued by an admin")
    if not ok:
        return redirect(url_for("web.admin_certificate", certificate_id=certificate_id))
    return _after_request(req, "issued; it supersedes the one in force")


@bp.post("/admin/certificates/<int:certificate_id>/revoke")
@roles(ADMIN)
def admin_revoke_certificate(certificate_id: int):
    cert = _certificate(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Not revoked: " + " ".join(form.reason.errors or ["the form has expired; try again."]), "error")
        return _certificate_page(cert, form, 400)
    if cert.status == "issued" and not confirmed():
        units = len(issuing.covered_units_in_stock(db.session, cert))
        return confirm_page(f"Revoke certificate {cert.number}?", [
            f"Anyone who verifies it will read: revoked, \u201c{form.reason.data.strip()}\u201d.",
            f"{units} unit(s) it covers that are cleared or in stock will be withdrawn and can never be sold."
            if units else "No unit it covers is cleared or in stock; none is withdrawn.",
            ("The batch" if cert.kind == "batch" else "The device") + " is then without a certificate in force "
            "until one is issued again. A revocation cannot be undone.",
        ], "Revoke the certificate", cancel=url_for("web.admin_certificate", certificate_id=cert.id))
    ok, _ = attempt(issuing.revoke, db.session, current_user, cert, form.reason.data)
    if ok:
        flash(f"Certificate {cert.number} revoked. The units it covered that were in stock are withdrawn "
              "and can no longer be sold.", "success")
    return redirect(url_for("web.admin_certificate", certificate_id=certificate_id))
