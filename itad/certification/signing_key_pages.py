"""Admin page for the certificate signing keys: each key's identity, fingerprint, validity and whether
it signs new certificates; create the first key or rotate to a new one. Private keys never reach a
page: they are stored encrypted with SIGNING_KEY_PASSPHRASE, which only the server holds, and without
it the page says so instead of offering the form."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from itad.certification import keys
from itad.errors import NotFound
from itad.models import SigningKey, db
from itad.web import ADMIN, bp, download, form_errors, roles
from itad.web.unit_of_work import attempt


class KeyForm(FlaskForm):
    common_name = StringField("Common name (CN)", validators=[DataRequired(), Length(max=200)])
    organization = StringField("Organization (O)", validators=[DataRequired(), Length(max=200)])
    days = IntegerField("Valid for (days)", default=3 * 365, validators=[NumberRange(1, 20 * 365)])
    key_type = SelectField("Key", choices=[("ec", "ECDSA P-256"), ("rsa", "RSA 3072")])


def _page(form: KeyForm, status: int = 200):
    config = current_app.config
    return render_template("admin/signing_keys.html", keys=keys.all_keys(db.session), form=form,
                           active=keys.active_key(db.session), passphrase=keys.passphrase_configured(config)), status


@bp.get("/admin/signing-keys")
@roles(ADMIN)
def admin_signing_keys():
    return _page(KeyForm(formdata=None, data=keys.default_subject(current_app.config)))


@bp.post("/admin/signing-keys")
@roles(ADMIN)
def admin_create_signing_key():
    form = KeyForm()
    if not form.validate_on_submit():
        flash(f"The key form has errors: {form_errors(form)}", "error")
        return _page(form, 400)
    config = current_app.config
    first = keys.active_key(db.session) is None
    # init refuses when a key is active (a race with another admin): the page then says to rotate.
    create = keys.init_key if first else keys.rotate_key
    ok, key = attempt(create, db.session, config, common_name=form.common_name.data.strip(),
                      organization=form.organization.data.strip(), days=form.days.data, key_type=form.key_type.data)
    if ok:
        flash(f"Signing key {key.id} created and active; new certificates are signed with it."
              + ("" if first else " Earlier keys are retired and still verify the certificates they signed."),
              "success")
    return redirect(url_for("web.admin_signing_keys"))


@bp.get("/admin/signing-keys/<int:key_id>.pem")
@roles(ADMIN)
def admin_signing_certificate(key_id: int):
    """The key's public certificate (what the operator publishes), never the key."""
    key = db.session.get(SigningKey, key_id)
    if key is None:
        raise NotFound(f"No signing key with id {key_id}.")
    return download(key.cert_pem, "application/x-pem-file", f"signing-key-{key.id}.pem")
