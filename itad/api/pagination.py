"""Cursor pagination over an increasing id: stable while rows are added."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import BadRequest


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The cursor is not one this server gave out.", code="bad_cursor")


def page(session: Session, stmt: sa.Select, id_column, limit: int, cursor: str | None):
    """Rows after the cursor, and the cursor of the next page (None at the end)."""
    if cursor:
        stmt = stmt.where(id_column > decode_cursor(cursor))
    rows = session.scalars(stmt.order_by(id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)
