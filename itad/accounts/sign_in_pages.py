"""Sign in with email and password, sign out.

Two limits guard the form: an account is locked after repeated failures (whoever tries), and an
address that fails too often must wait (whichever accounts it tries). Both are kept in the
database, so they hold across gunicorn workers.
"""

from __future__ import annotations

from datetime import timedelta

import functools
import secrets

from flask import current_app, flash, redirect, render_template, request, session as cookie, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from itad.accounts import sessions, sign_in_limit
from itad.auth.passwords import check_password, hash_password
from itad.models import db, utcnow
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
    # Attempts from one address, and attempts on one account, take their turn: parallel guesses each see the
    # failures before them (the lock is held until this attempt's failure is counted and committed).
    sign_in_limit.hold_address(db.session, address)
    if sign_in_limit.address_blocked(db.session, address, now, max_failures=config["LOGIN_IP_MAX_FAILURES"],
                                     window_seconds=config["LOGIN_IP_WINDOW_SECONDS"]):
        db.session.rollback()
        return _too_many(form, "Too many failed sign-ins from your network address. Try again later.")
    user = sign_in_limit.hold_account(db.session, form.email.data)
    if user is not None and user.locked_until and user.locked_until > now:
        db.session.rollback()
        return _too_many(form, "Too many failed sign-ins. Try again later.")
    # The same work whether the email is known or not: an unknown one is checked against a stand-in hash, so the
    # time taken does not tell which emails have accounts.
    stored = user.password_hash if user is not None and user.password_hash else _stand_in_hash()
    matches = check_password(stored, form.password.data)
    if user is not None and user.active and user.password_hash and matches:
        user.failed_logins = 0
        user.locked_until = None
        token = sessions.open_session(db.session, user, address=address,
                                      lifetime_seconds=config["SESSION_LIFETIME_SECONDS"])
        db.session.commit()
        cookie.clear()
        cookie.permanent = True
        cookie["sid"] = token
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


@functools.cache
def _stand_in_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@bp.post("/logout")
@login_required
def logout():
    sessions.close_session(db.session, cookie.get("sid"))
    db.session.commit()
    logout_user()
    cookie.clear()
    return redirect(url_for("web.login"))
