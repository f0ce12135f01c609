"""Cursor pagination over an increasing id: stable while rows are added.

The cursor is the id of the last row of the previous page. It is a plain integer
on purpose: the schema can state exactly what is valid, and a client cannot send
a cursor the server cannot read.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session


def page(session: Session, stmt: sa.Select, id_column, limit: int, cursor: int | None, *, newest_first: bool = False):
    """Rows after the cursor, and the cursor of the next page (None at the end). Newest first walks the
    ids downwards (registers people read from the latest), with the same kind of cursor."""
    found = window(session, stmt, id_column, limit, after=cursor, newest_first=newest_first, look_back=False)
    return found.rows, found.after


@dataclass
class Window:
    """One page of rows read both ways: `after` is the cursor of the next page, `before` of the previous
    one (None at either end)."""
    rows: list
    after: int | None
    before: int | None


def window(session: Session, stmt: sa.Select, id_column, limit: int, *, after: int | None = None,
           before: int | None = None, newest_first: bool = False, look_back: bool = True) -> Window:
    """A page after the cursor `after`, or the page that ends just before `before` (paging back), in
    display order either way. With look_back, whether a page lies before the first is asked with one EXISTS."""
    def later(c):
        return id_column < c if newest_first else id_column > c

    def earlier(c):
        return id_column > c if newest_first else id_column < c

    shown = id_column.desc() if newest_first else id_column.asc()
    backwards = id_column.asc() if newest_first else id_column.desc()
    if before is None:
        rows = session.scalars((stmt.where(later(after)) if after is not None else stmt)
                               .order_by(shown).limit(limit + 1)).all()
        more, rows = len(rows) > limit, rows[:limit]
        previous = look_back and rows and after is not None and session.scalar(sa.select(stmt.where(earlier(rows[0].id)).exists()))
        return Window(rows, rows[-1].id if more else None, rows[0].id if previous else None)
    rows = session.scalars(stmt.where(earlier(before)).order_by(backwards).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit][::-1]
    return Window(rows, rows[-1].id if rows else None, rows[0].id if more else None)
