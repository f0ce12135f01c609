"""How an API operation is declared: auth, roles, input schemas, one commit.

Every view under /api/v1 is wrapped by :func:`operation`. It

- authenticates the bearer token (401) and checks the role (403),
- parses the JSON body and query string into pydantic models (400 / 422),
- runs the view, then commits once (the unit of work is the request) or rolls back,
- records what it accepts and returns, so the OpenAPI document is generated
  from the very schemas that validate requests and cannot drift from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable

from flask import Response, g, jsonify, request
from pydantic import BaseModel, ValidationError

from itad.auth.access import require_role
from itad.auth.tokens import user_for_token
from itad.errors import BadRequest, Invalid, Unauthorized
from itad.models import User, db

ALL_ROLES = ("client", "technician", "admin")
OPERATOR_ROLES = ("technician", "admin")


@dataclass
class Operation:
    summary: str
    roles: tuple[str, ...] | None  # None = public, no token needed
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    # multipart form fields: name -> kind: "file", "text" or "integer"; a trailing "!" marks it required
    form: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    produces: str = "application/json"


def current_user() -> User:
    return g.api_user


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(db.session, value.strip())
    if user is None:
        raise Unauthorized("The API token is unknown, revoked, or its user is disabled.")
    return user


def _validation_details(exc: ValidationError) -> list[dict]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False)
    ]


def parse_model(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(f"The {where} is not valid.", code="validation_failed", details=_validation_details(exc))


def _json_body() -> Any:
    if not request.is_json:
        raise BadRequest("Send a JSON body with 'Content-Type: application/json'.", code="json_expected")
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("The request body is not valid JSON.", code="malformed_json")
    return data


def to_response(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        result, status = result
    if isinstance(result, BaseModel):
        return Response(result.model_dump_json(), status, mimetype="application/json")
    response = jsonify(result)
    response.status_code = status
    return response


def operation(
    summary: str,
    *,
    roles: tuple[str, ...] | None = ALL_ROLES,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    form: dict[str, str] | None = None,
    tags: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    produces: str = "application/json",
) -> Callable:
    op = Operation(summary, roles, body, query, response, status, form or {}, tags, errors, produces)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs):
            if op.roles is not None:
                g.api_user = _authenticate()
                require_role(g.api_user, *op.roles)
            if op.body is not None:
                # An operation that also takes a multipart form reads JSON only when sent JSON.
                if op.form and not request.is_json:
                    kwargs["body"] = None
                else:
                    kwargs["body"] = parse_model(op.body, _json_body(), "request body")
            if op.query is not None:
                kwargs["query"] = parse_model(op.query, request.args.to_dict(), "query string")
            try:
                result = view(**kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            return to_response(result, op.status)

        wrapper.operation = op  # read by the OpenAPI generator
        return wrapper

    return decorate
