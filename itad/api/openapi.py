"""The OpenAPI 3.1 document, generated from the routes and their @operation schemas.

Nothing here is written by hand per endpoint: the same pydantic models that validate a
request describe it, so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, render_template
from pydantic import TypeAdapter

from itad.api import bp
from itad.api.contract import Operation, operation
from itad.api.schemas import ErrorOut

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    400: "Malformed request", 401: "Missing or invalid token", 403: "Role not allowed",
    404: "Not found (or not yours)", 409: "Conflicts with the current state", 413: "Too large",
    422: "Invalid input", 503: "A dependency is unavailable",
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _schema(tp: Any, components: dict) -> dict:
    schema = TypeAdapter(tp).json_schema(ref_template=REF, mode="serialization")
    components.update(schema.pop("$defs", {}))
    return schema


def _input_schema(tp: Any, components: dict) -> dict:
    schema = TypeAdapter(tp).json_schema(ref_template=REF, mode="validation")
    components.update(schema.pop("$defs", {}))
    return schema


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in _PARAM.findall(rule):
        kind = {"int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                "float": {"type": "number"}}.get(converter, {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": kind})
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _query_params(op: Operation, components: dict) -> list[dict]:
    if op.query is None:
        return []
    schema = _input_schema(op.query, components)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop,
         **({"description": prop["description"]} if "description" in prop else {})}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation_object(endpoint: str, method: str, op: Operation, path_params: list, components: dict) -> dict:
    obj: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api.") + ("" if method == "get" else f"_{method}"),
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": path_params + _query_params(op, components),
    }
    content: dict[str, Any] = {}
    if op.body is not None:
        content["application/json"] = {"schema": _input_schema(op.body, components)}
    if op.form:
        # form = {name: kind}; kind is file, text or integer, with "!" when the field is required.
        kinds = {"file": {"type": "string", "format": "binary"}, "integer": {"type": "integer", "minimum": 0},
                 "text": {"type": "string", "minLength": 1}}
        props = {name: kinds.get(kind.rstrip("!"), {"type": "string"}) for name, kind in op.form.items()}
        required = [name for name, kind in op.form.items() if kind.endswith("!")]
        content["multipart/form-data"] = {"schema": {"type": "object", "properties": props,
                                                     **({"required": required} if required else {})}}
    if content:
        obj["requestBody"] = {"required": True, "content": content}
    ok: dict[str, Any] = {"description": "Success"}
    if op.produces == "application/json":
        ok["content"] = {"application/json": {"schema": _schema(op.response, components) if op.response else {}}}
    else:
        ok["content"] = {op.produces: {"schema": {"type": "string", "format": "binary"}}}
    responses = {str(op.status): ok}
    codes = set(op.errors) | {400, 422} if (op.body or op.query or op.form) else set(op.errors)
    if op.roles is not None:
        codes |= {401, 403}
        obj["security"] = [{"bearerAuth": []}]
    else:
        obj["security"] = []
    if path_params:
        codes.add(404)
    error_ref = {"$ref": REF.format(model="ErrorOut")}
    for code in sorted(codes):
        responses[str(code)] = {"description": ERROR_TEXT.get(code, "Error"),
                                "content": {"application/json": {"schema": error_ref}}}
    obj["responses"] = responses
    if op.roles:
        obj["x-roles"] = list(op.roles)
    return obj


def build(app: Flask) -> dict:
    components: dict[str, Any] = {}
    _schema(ErrorOut, components)
    components["ErrorOut"] = TypeAdapter(ErrorOut).json_schema(ref_template=REF)
    components["ErrorOut"].pop("$defs", None)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "operation", None)
        if op is None or not rule.rule.startswith("/api/"):
            continue
        path, params = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_object(
                rule.endpoint, method.lower(), op, params, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ITAD workflow server API", "version": "1",
                 "description": "Errors are always {\"error\": {code, message, details}}. "
                                "Another organization's ids answer 404, exactly like missing ones."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
@operation("This document", roles=None, tags=("meta",))
def openapi_json():
    return build(current_app)


@bp.get("/docs")
def docs():
    """A browsable page of the same document: server-rendered, no scripts from elsewhere."""
    return render_template("api_docs.html", spec=build(current_app))
