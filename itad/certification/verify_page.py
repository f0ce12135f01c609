"""The public verify page: what an auditor opens from the QR code, or uploads a PDF to. No login.

The same answers as the public API (itad.certification.verifying), drawn for people. The upload
form carries the CSRF token like every form here.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from itad.certification import verifying
from itad.models import db
from itad.web import bp


@bp.get("/verify")
def verify_form():
    """The form; a number typed into it (?number=) opens that certificate's page."""
    number = (request.args.get("number") or "").strip()
    if number:
        return redirect(url_for("web.verify_page", number=number.upper()[:40]))
    return render_template("verify.html", cert=None, number=None, check=None)


@bp.get("/verify/<number>")
def verify_page(number: str):
    cert = verifying.by_number(db.session, number)
    status = verifying.public_status(db.session, cert) if cert is not None else None
    return render_template("verify.html", cert=status, number=number, check=None), (200 if cert else 404)


@bp.post("/verify")
def verify_upload():
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return render_template("verify.html", cert=None, number=None, check=None,
                               error="Choose the certificate PDF to check."), 400
    check = verifying.verify_upload(db.session, data)
    return render_template("verify.html", cert=check["certificate"], number=None, check=check)
