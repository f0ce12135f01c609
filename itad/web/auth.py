"""Sign in with email and password (with lockout after repeated failures), sign out."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from itad.auth.passwords import check_password
from itad.models import db, utcnow
from itad import accounts
from itad.errors import NotFound
from itad.web import bp


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.find_user(db.session, form.email.data)
        except NotFound:
            user = None
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            flash("Too many failed sign-ins. Try again later.", "error")
            return render_template("login.html", form=form), 429
        if user is not None and user.active and check_password(user.password_hash, form.password.data):
            user.failed_logins = 0
            user.locked_until = None
            db.session.commit()
            login_user(user)
            return redirect(url_for("web.index"))
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
                user.failed_logins = 0
            db.session.commit()
        flash("Email or password is wrong.", "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("web.login"))
