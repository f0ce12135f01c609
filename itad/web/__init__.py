"""Server-rendered pages, one module per audience: portal (clients), bench (technicians), admin.

Views are thin: they read through the tenant-scoped services, call one workflow/intake/accounts
service per form, commit once on success (itad.web.unit_of_work) and turn domain errors into a
flashed message (a refused step) or the error page (a missing or foreign id: 404).
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response
from flask_login import LoginManager, current_user, login_required

from itad.auth.access import require_role
from itad.models import db
from itad import words

bp = Blueprint("web", __name__, template_folder="../templates")

CLIENT, TECHNICIAN, ADMIN = "client", "technician", "admin"
OPERATOR = (TECHNICIAN, ADMIN)


def init_login(manager: LoginManager) -> None:
    manager.login_view = "web.login"
    manager.login_message = "Please sign in."

    @manager.user_loader
    def load_user(user_id: str):
        # The cookie alone proves nothing any more: its session must stand on the server (itad.accounts.sessions).
        from flask import session as cookie

        from itad.accounts import sessions

        try:
            return sessions.user_of(db.session, cookie.get("sid"), int(user_id))
        except ValueError:
            return None


def roles(*allowed: str):
    """Signed in, with one of these roles; else the 403 page (Forbidden from itad.auth.access)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            require_role(current_user, *allowed)
            return view(*args, **kwargs)

        return guarded

    return decorate


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    """A file the browser saves (certificate, statement, CSV, PEM) rather than shows."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def form_errors(form) -> str:
    """A form's errors in one line for a flashed message, each under its field's label."""
    return "; ".join(f"{getattr(form, k).label.text}: {' '.join(v)}" for k, v in form.errors.items())


@bp.app_template_global()
def here_with(**changes) -> str:
    """This page's address with some query arguments changed (None drops one): paging and filter links
    that keep the page's other arguments."""
    from flask import request, url_for

    args = {**request.args.to_dict(), **changes}
    return url_for(request.endpoint, **(request.view_args or {}), **{k: v for k, v in args.items() if v not in (None, "")})


words.register(bp)

# Page modules register themselves on import; each capability's pages live in its folder.
from itad.batches import portal_pages  # noqa: E402,F401
from itad.steps import bench_pages, grading_pages, report_pages  # noqa: E402,F401
from itad.accounts import admin_pages, sign_in_pages  # noqa: E402,F401
from itad.certification import pages, signing_key_pages, verify_page  # noqa: E402,F401
from itad.inventory import quote_pages, return_pages, settlement_pages, stock_pages  # noqa: E402,F401
from itad.pickups import pages as pickup_pages  # noqa: E402,F401
from itad.downstream import pages as downstream_pages  # noqa: E402,F401
from itad.audit_log import pages as audit_log_pages  # noqa: E402,F401
from itad.notifications import pages as notification_pages  # noqa: E402,F401

