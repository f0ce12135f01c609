"""Admin pages: organizations and their users, API tokens (shown once, revocable), client policies and
settlement terms, closing batches. Admins only; each form calls one service and commits once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from itad import accounts, batches
from itad.errors import NotFound
from itad.inventory import settlement
from itad.models import Organization, User, db, utcnow
from itad.jobs import enqueue
from itad.web import ADMIN, bp, form_errors, roles
from itad.web.confirming import confirm_page, confirmed
from itad.web.amounts import AmountField
from itad.web.unit_of_work import attempt
from itad.certification.issuing import signing_ready
from itad.steps import closing, policies
from itad.words import word
from workflows.sanitization import Method


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    location = StringField("Location", validators=[Optional(), Length(max=300)])
    phone = StringField("Phone", validators=[Optional(), Length(max=60)])


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Regexp(r"^[^@\s]+@[^@\s]+$", message="An email address, like name@example.com."), Length(max=254)])
    role = SelectField("Role", choices=["client", "technician", "admin"])
    title = StringField("Title", validators=[Optional(), Length(max=120)])
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=12, max=200)])


class TokenForm(FlaskForm):
    name = StringField("Token name (what it is for)", validators=[DataRequired(), Length(max=120)])


class ConfirmForm(FlaskForm):
    """A bare form: only the CSRF token (revoke, close)."""


def _organization(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"No organization with id {org_id}.")
    return org


def _user(user_id: int) -> User:
    return accounts.get_user(db.session, user_id)


@bp.route("/admin/organizations", methods=["GET", "POST"])
@roles(ADMIN)
def admin_organizations():
    form = OrganizationForm()
    if form.validate_on_submit():
        ok, org = attempt(accounts.create_organization, db.session, form.name.data.strip(), kind="client",
                          location=form.location.data or None, phone=form.phone.data or None)
        if ok:
            return redirect(url_for("web.admin_organization", org_id=org.id))
    return render_template("admin/organizations.html", form=form,
                           organizations=accounts.list_organizations(db.session))


@bp.get("/admin/organizations/<int:org_id>")
@roles(ADMIN)
def admin_organization(org_id: int):
    org = _organization(org_id)
    form = UserForm()
    form.role.data = form.role.data or ("technician" if org.is_operator else "client")
    return _organization_page(org, form)


def _organization_page(org: Organization, form: UserForm, status: int = 200):
    policy_form = None if org.is_operator else _policy_form(org)
    return render_template("admin/organization.html", org=org, form=form, policy_form=policy_form,
                           terms_form=None if org.is_operator else _terms_form(org),
                           policy_history=[] if org.is_operator else policies.history(db.session, org.id),
                           users=accounts.list_users(db.session, org)), status


@bp.post("/admin/organizations/<int:org_id>/users")
@roles(ADMIN)
def admin_create_user(org_id: int):
    org = _organization(org_id)
    form = UserForm()
    if not form.validate_on_submit():
        return _organization_page(org, form, 400)
    ok, user = attempt(accounts.create_user, db.session, org, form.email.data, form.name.data.strip(),
                       form.role.data, form.password.data, title=form.title.data or None)
    if not ok:
        return _organization_page(org, form, 409)
    return redirect(url_for("web.admin_user", user_id=user.id))


@bp.get("/admin/users/<int:user_id>")
@roles(ADMIN)
def admin_user(user_id: int):
    return _user_page(_user(user_id), TokenForm(), None)


def _user_page(user: User, form: TokenForm, new_token: str | None, status: int = 200):
    return render_template("admin/user.html", user=user, form=form, confirm=ConfirmForm(), new_token=new_token,
                           tokens=accounts.list_tokens(db.session, user), now=utcnow()), status


@bp.post("/admin/users/<int:user_id>/tokens")
@roles(ADMIN)
def admin_create_token(user_id: int):
    user = _user(user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _user_page(user, form, None, 400)
    ok, issued = attempt(accounts.create_token, db.session, user, form.name.data.strip())
    # Rendered, not redirected: the plain token must never sit in the session cookie or a URL.
    return _user_page(user, TokenForm(formdata=None), issued[1] if ok else None, 201 if ok else 409)


# What a role may do, said before an admin gives it.
ROLE_CAN = {"technician": "works the bench (receive, wipe, verify, grade, clear) and nothing of the admin pages.",
            "admin": "runs every admin page: organizations and users, certificates, signing keys, stock, closing batches."}


@bp.post("/admin/users/<int:user_id>/active")
@roles(ADMIN)
def admin_set_active(user_id: int):
    user = _user(user_id)
    active = request.form.get("active") == "1"
    if not active and not confirmed():
        return confirm_page(f"Deactivate {user.name}?", [
            f"{user.name} ({user.email}) is signed out everywhere at once and can no longer sign in.",
            "Their API tokens are refused from now on. You can reactivate the account later.",
        ], "Deactivate", cancel=url_for("web.admin_user", user_id=user.id))
    ok, _ = attempt(accounts.set_active, db.session, current_user, user, active)
    if ok:
        flash(f"{user.name} {'can sign in again' if active else 'is deactivated: signed out everywhere, tokens refused'}.",
              "success")
    return redirect(url_for("web.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/role")
@roles(ADMIN)
def admin_set_role(user_id: int):
    user = _user(user_id)
    role = request.form.get("role", "")
    if role != user.role and not confirmed():
        return confirm_page(f"Make {user.name} {word(role, 'role')}?", [
            f"{user.name} becomes {word(role, 'role')}: " + ROLE_CAN.get(role, "") ,
            "Their open sessions end now; they sign in again with the new role.",
        ], "Change the role", cancel=url_for("web.admin_user", user_id=user.id), danger=False)
    ok, _ = attempt(accounts.set_role, db.session, current_user, user, role)
    if ok:
        flash(f"{user.name} is now {user.role}; their sessions have ended.", "success")
    return redirect(url_for("web.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password-reset")
@roles(ADMIN)
def admin_reset_password(user_id: int):
    user = _user(user_id)
    if not confirmed():
        return confirm_page(f"Reset {user.name}'s password?", [
            "A new random password is made and shown to you once; the old one stops working now.",
            f"{user.name} is signed out everywhere, and a sign-in lockout is lifted.",
        ], "Reset the password", cancel=url_for("web.admin_user", user_id=user.id))
    ok, password = attempt(accounts.reset_password, db.session, current_user, user)
    if not ok:
        return redirect(url_for("web.admin_user", user_id=user.id))
    # Rendered, not redirected: the password must never sit in the session cookie or a URL.
    return render_template("admin/user.html", user=user, form=TokenForm(formdata=None), confirm=ConfirmForm(),
                           new_token=None, new_password=password, tokens=accounts.list_tokens(db.session, user),
                           now=utcnow())


@bp.post("/admin/tokens/<int:token_id>/revoke")
@roles(ADMIN)
def admin_revoke_token(token_id: int):
    ConfirmForm().validate_on_submit()  # CSRF is checked globally; the form only names the action
    ok, token = attempt(accounts.revoke_user_token, db.session, current_user, token_id)
    if ok:
        flash(f"Token {token.name} ({token.prefix}…) revoked.", "success")
    return redirect(url_for("web.admin_user", user_id=token.user_id if ok else current_user.id))


class PolicyForm(FlaskForm):
    minimum_method = SelectField("Lowest acceptable method", choices=[m.value for m in Method])
    verification = SelectField("Verification", choices=[("all", "every wipe"), ("sample", "a sample")])
    sample_percent = IntegerField("Sample (% of purged media)", validators=[NumberRange(0, 100)])
    verify_all_cleared = BooleanField("Under sampling, still verify every cleared medium")
    resale_allowed = BooleanField("Resale allowed (else every data-bearing unit is destroyed)")
    max_failed_wipes = IntegerField("Failed wipes before only destruction is left", validators=[NumberRange(1, 20)])
    note = StringField("Why (kept in the history)", validators=[Optional(), Length(max=500)])


def _policy_form(org: Organization) -> PolicyForm:
    current = policies.organization_policy(db.session, org.id)
    return PolicyForm(formdata=None, data={k: getattr(current, k) for k in POLICY_FIELDS} |
                      {"minimum_method": current.minimum_method.value})


POLICY_FIELDS = ("verification", "sample_percent", "verify_all_cleared", "resale_allowed", "max_failed_wipes")


@bp.post("/admin/organizations/<int:org_id>/policy")
@roles(ADMIN)
def admin_set_policy(org_id: int):
    org = _organization(org_id)
    form = PolicyForm()
    if org.is_operator:
        raise NotFound(f"No client organization with id {org_id}.")
    if not form.validate_on_submit():
        flash(f"The policy form has errors: {form_errors(form)}", "error")
        return redirect(url_for("web.admin_organization", org_id=org.id))
    # The whole policy: categories as they are now, the rest from the form.
    rules = policies.organization_policy(db.session, org.id).to_dict()
    rules.update({k: getattr(form, k).data for k in POLICY_FIELDS}, minimum_method=form.minimum_method.data)
    ok, _ = attempt(policies.set_policy, db.session, current_user, org.id, rules, note=form.note.data or None)
    if ok:
        flash(f"Policy of {org.name} saved; it applies to every step from now on.", "success")
    return redirect(url_for("web.admin_organization", org_id=org.id))


@bp.post("/admin/batches/<int:batch_id>/close")
@roles(ADMIN)
def admin_close_batch(batch_id: int):
    """Close after a confirmation that says what closing will do; the close itself runs as a job
    (itad.steps.closing.close_batch_job) whose progress the batch page shows."""
    ConfirmForm().validate_on_submit()
    batch = batches.get_batch(db.session, current_user, batch_id)
    back = url_for("web.batch", batch_id=batch_id)
    if batch.status != "open":
        flash(f"Batch {batch.reference} is {batch.status} already.", "error")
        return redirect(back)
    blockers = closing.close_blockers(db.session, batch.id)
    if blockers:
        shown = ", ".join(f"{b['serial']} ({word(b['state'], 'state')}: {b['needs']})" for b in blockers[:10])
        more = f" and {len(blockers) - 10} more" if len(blockers) > 10 else ""
        flash(f"The batch cannot close yet; not settled: {shown}{more}.", "error")
        return redirect(back)
    if not confirmed():
        counts = batches.state_counts(db.session, [batch.id])[batch.id]
        never = counts.get("registered", 0)
        units = batches.tally(db.session, batch).units
        return confirm_page(f"Close batch {batch.reference}?", [
            f"{never} device(s) were never received and will be recorded missing." if never
            else "Every device on the asset list was received: none will be recorded missing.",
            f"Its certificate of sanitization will list {units} device(s) and be signed and issued."
            if signing_ready(db.session) else
            f"No signing key is set up: its certificate ({units} device(s)) is issued once one is, by an admin.",
            "After closing, nothing more can be recorded at the bench for this batch. This cannot be undone.",
        ], "Close the batch", cancel=back)
    enqueue(db.session, closing.close_batch_job, organization_id=batch.organization_id,
            created_by_id=current_user.id, batch_id=batch.id)
    db.session.commit()
    flash(f"Closing batch {batch.reference}.", "success")
    return redirect(back)


class TermsForm(FlaskForm):
    client_share_percent = AmountField("Client's share of net resale proceeds (%)",
                                       validators=[DataRequired(message="Give the share in percent, e.g. 60.")])
    note = StringField("Why (kept with the terms)", validators=[Optional(), Length(max=500)])


def _terms_form(org: Organization) -> TermsForm:
    terms = settlement.terms_of(db.session, org.id)
    return TermsForm(formdata=None, data={"client_share_percent": terms.client_share_percent if terms else None,
                                          "note": terms.note if terms else None})


@bp.post("/admin/organizations/<int:org_id>/settlement-terms")
@roles(ADMIN)
def admin_set_settlement_terms(org_id: int):
    org = _organization(org_id)
    if org.is_operator:
        raise NotFound(f"No client organization with id {org_id}.")
    form = TermsForm()
    if not form.validate_on_submit():
        flash("Settlement terms not saved: " + " ".join(form.client_share_percent.errors or ["try again."]), "error")
        return redirect(url_for("web.admin_organization", org_id=org.id))
    ok, terms = attempt(settlement.set_terms, db.session, current_user, org.id, form.client_share_percent.data,
                        form.note.data or None)
    if ok:
        flash(f"{org.name} receives {terms.client_share_percent}% of the net proceeds of its resold units.", "success")
    return redirect(url_for("web.admin_organization", org_id=org.id))
