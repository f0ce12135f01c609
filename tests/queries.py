"""Counting the SQL statements a piece of code sends: for tests that a listing or a report reads in a fixed number of
queries, whatever the number of rows."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa


@contextlib.contextmanager
def statements(engine):
    """A list that grows by one per statement `engine` executes inside the block."""
    seen: list[int] = []

    def count(*_args, **_kwargs):
        seen.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
