"""One form post = one unit of work: the service call, then one commit, or a rollback and a message."""

from __future__ import annotations

from typing import Any, Callable

from flask import flash

from itad.errors import DomainError, NotFound
from itad.models import db


def attempt(step: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Run a service call and commit. A refused step (409, 422, 403...) is rolled back and its message
    flashed for the page to show; (False, the error) is returned. A 404 is re-raised: a foreign or
    missing id gets the 404 page, never a hint that the row exists."""
    try:
        result = step(*args, **kwargs)
        db.session.commit()
        return True, result
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False, exc
