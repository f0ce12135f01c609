"""Sign in with email and password, sign out.

Two limits guard the form: an account is locked after repeated failures (whoever tries), and an
address that fails too often must wait (whichever accounts it tries). Both are kept in the
database, so they hold across gunicorn workers.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from itad import accounts
from itad.auth.passwords import check_password
from itad.errors import NotFound
from itad.models import db, utcnow
from itad.accounts import sign_in_limit
from itad.web import bp


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _too_many(form, message: str):
    flash(message, "error")
    return render_template("login.html", form=form), 429


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("web.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form)
    config = current_app.config
    address = request.remote_addr or "unknown"
    now = utcnow()
    if sign_in_limit.address_blocked(db.session, address, now, max_failures=config["LOGIN_IP_MAX_FAILURES"],
                                     window_seconds=config["LOGIN_IP_WINDOW_SECONDS"]):
        return _too_many(form, "Too many failed sign-ins from your network address. Try again later.")
    try:
        user = accounts.find_user(db.session, form.email.data)
    except NotFound:
        user = None
    if user is not None and user.locked_until and user.locked_until > now:
        return _too_many(form, "Too many failed sign-ins. Try again later.")
    if user is not None and user.active and check_password(user.password_hash, form.password.data):
        user.failed_logins = 0
        user.locked_until = None
        db.session.commit()
        login_user(user)
        return redirect(url_for("web.index"))
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
            user.failed_logins = 0
    sign_in_limit.record_failure(db.session, address, now, window_seconds=config["LOGIN_IP_WINDOW_SECONDS"])
    db.session.commit()
    flash("Email or password is wrong.", "error")
    return render_template("login.html", form=form), 401


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("web.login"))
