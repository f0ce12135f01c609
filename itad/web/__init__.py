"""Server-rendered pages: sign in and out, and the pages each role works in."""

from __future__ import annotations

from flask import Blueprint
from flask_login import LoginManager

from itad.models import User, db

bp = Blueprint("web", __name__, template_folder="../templates")


def init_login(manager: LoginManager) -> None:
    manager.login_view = "web.login"
    manager.login_message = "Please sign in."

    @manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None


from itad.web import auth, home  # noqa: E402,F401
from itad.web import verify  # noqa: E402,F401
