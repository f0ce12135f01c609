"""One rule for every text that comes in, checked once at the door for the API and the pages alike: no NUL
character and no lone surrogate in a part of the address, a query parameter, a form field or its name, an uploaded
file's name or a JSON body, and no JSON nested deeper than MAX_JSON_DEPTH. Either is refused with a 422 that names the field; nothing
reaches a service or the database (PostgreSQL refuses NUL in text; a lone surrogate cannot be encoded as UTF-8).
Asset lists are checked by their reader, which names the row and column (itad.intake.manifest).
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter

from itad.errors import Invalid

MAX_JSON_DEPTH = 64       # where a body is walked (it holds an escaped NUL or surrogate); deeper still: 422
_BAD = re.compile("[\x00\ud800-\udfff]")
# In a JSON text a NUL or a surrogate can only be written as an escape; a body without these needs no walk.
_ESCAPES = re.compile(rb"\\u0000|\\u[dD][89abAB]|\\u[dD][c-fC-F]")


def _reason(text: str) -> str | None:
    found = _BAD.search(text)
    if found is None:
        return None
    return ("holds a NUL character (U+0000)" if found.group() == "\x00"
            else f"holds a lone surrogate (U+{ord(found.group()):04X}), which is not text")


def _refuse(field: str, reason: str) -> None:
    raise Invalid(f"{field}: {reason}. Remove it and send again.", code="invalid_text",
                  details=[{"field": field, "message": reason}])


def _walk(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise Invalid(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.", code="json_too_deep",
                      details={"limit_depth": MAX_JSON_DEPTH})
    if isinstance(value, str):
        reason = _reason(value)
        if reason:
            _refuse(path or "body", reason)
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _reason(key)
            if reason:
                _refuse(f"{path}.{key!r}" if path else repr(key), "a key " + reason)
            _walk(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", depth + 1)


def check_request() -> None:
    """Flask before_request: refuse a request whose text breaks the rule, before any view runs."""
    for name, value in (request.view_args or {}).items():
        reason = _reason(value) if isinstance(value, str) else None
        if reason:
            _refuse(f"the {name} in the address", reason)
    for name, value in request.args.items(multi=True):
        for text, what in ((name, "the query parameter name"), (value, f"query parameter {name!r}")):
            reason = _reason(text)
            if reason:
                _refuse(what if text is name else f"query parameter {_printable(name)}", reason)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in request.form.items(multi=True):
            reason = _reason(name) or _reason(value)
            if reason:
                _refuse(f"form field {_printable(name)}", reason)
        for name, upload in request.files.items(multi=True):
            reason = _reason(name) or _reason(upload.filename or "")
            if reason:
                _refuse(f"the name of the file in {_printable(name)}", reason)
    elif request.is_json and request.content_length != 0:
        try:
            data = request.get_json(silent=True, cache=True)      # parsed once: the view reads this copy
        except RecursionError:
            raise Invalid("The JSON body is nested too deeply to read.", code="json_too_deep",
                          details={"limit_depth": MAX_JSON_DEPTH}) from None
        if data is not None and _ESCAPES.search(request.get_data(cache=True)):
            _walk(data, "", 0)


def _printable(name: str) -> str:
    return repr(_BAD.sub("\ufffd", name))


class IdConverter(IntegerConverter):
    """<int:...> in a URL: an id fits the database's integer columns; a larger number names nothing (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
