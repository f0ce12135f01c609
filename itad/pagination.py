"""Cursor pagination over an increasing id: stable while rows are added.

The cursor is the id of the last row of the previous page. It is a plain integer
on purpose: the schema can state exactly what is valid, and a client cannot send
a cursor the server cannot read.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session


def page(session: Session, stmt: sa.Select, id_column, limit: int, cursor: int | None, *, newest_first: bool = False):
    """Rows after the cursor, and the cursor of the next page (None at the end). Newest first walks the
    ids downwards (registers people read from the latest), with the same kind of cursor."""
    if cursor is not None:
        stmt = stmt.where(id_column < cursor if newest_first else id_column > cursor)
    rows = session.scalars(stmt.order_by(id_column.desc() if newest_first else id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)
