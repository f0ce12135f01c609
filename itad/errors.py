"""Domain errors, and the one place that turns any error into an HTTP answer.

Services raise these; they never know about HTTP. The handlers below map them
to JSON for the API (``{"error": {"code", "message", "details"}}``) and to an
HTML page for the web pages. No traceback ever reaches a client.
"""

from __future__ import annotations

import logging

import redis.exceptions
import sqlalchemy.exc
from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details=None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    """A step that the current state does not allow, or a lost race."""

    status, code = 409, "conflict"


class Invalid(DomainError):
    """Well-formed input that breaks a rule (a bad manifest row, a bad method)."""

    status, code = 422, "invalid"


def bounded(value: str | None, what: str, size: int, code: str = "text_too_long") -> str | None:
    """A typed text stripped (None when empty), refused when longer than `size`, never cut: a name on a signed bill
    of lading or a source printed beside a figure is what was given, whole. The API's schemas bound the same fields;
    this holds for the pages, whose maxlength a browser need not keep."""
    text = (value or "").strip()
    if len(text) > size:
        raise Invalid(f"The {what} is at most {size} characters ({len(text)} given).", code=code)
    return text or None


class TooLarge(DomainError):
    status, code = 413, "too_large"


class Unavailable(DomainError):
    status, code = 503, "unavailable"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def _http_code_name(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def init_app(app: Flask) -> None:
    def _rollback() -> None:
        # A failed request keeps nothing it began; and the error page itself reads the signed-in user, which a
        # session left in a failed transaction could not (PendingRollbackError while rendering the 500 page).
        from itad.models import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone; the page must still render
            log.warning("rollback failed while answering an error", exc_info=True)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        _rollback()
        if wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status
        return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"The request is larger than the limit of {limit} bytes."
            details = {"limit_bytes": limit}
            code = "too_large"
        else:
            message, details, code = exc.description or exc.name, None, _http_code_name(exc)
        if wants_json():
            response = jsonify(error_body(code, message, details))
            response.status_code = status
            if status == 405 and exc.get_response().headers.get("Allow"):
                response.headers["Allow"] = exc.get_response().headers["Allow"]
            return response
        return render_template("errors/error.html", status=status, message=message), status

    def dependency_down(what: str):
        # Nothing was written (the transaction could not run or commit): the client may retry.
        from itad.models import db

        db.session.rollback()
        message = f"The {what} is unavailable right now; nothing was changed. Retry shortly."
        if wants_json():
            response = jsonify(error_body("unavailable", message, {"dependency": what}))
        else:
            response = app.make_response((render_template("errors/error.html", status=503, message=message), 503))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    def database_down(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
        return dependency_down("database")

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def redis_down(exc):
        log.warning("redis unavailable on %s %s", request.method, request.path)
        return dependency_down("job queue")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # Logged with its traceback for us; the client gets a plain message.
        log.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        if wants_json():
            return jsonify(error_body("internal_error", "An internal error occurred. It has been logged.")), 500
        return render_template("errors/error.html", status=500, message="An internal error occurred."), 500
