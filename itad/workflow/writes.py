"""Writing a new row in one Core statement, and handing it back as an ORM instance.

A workflow step writes a few rows once and never changes them again (custody events, wipe records).
Through the ORM, each costs a unit-of-work flush: change tracking, a dependency sort, the history of
every attribute, most of a step's CPU. A single INSERT does the same write; the instance returned is
then attached to the session as if it had been loaded (itad.models.instances.attached), so
session.get finds it and the response reads it, with no second statement.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models.instances import attached

T = TypeVar("T")


def insert(session: Session, model: type[T], values: dict[str, Any]) -> T:
    """INSERT values (every column but the id) into model's table; the persistent instance, id set.

    Pending ORM changes are not flushed first: the caller writes rows whose references exist."""
    row_id = session.connection().execute(_insert_returning_id(model.__table__), values).scalar_one()
    return attached(session, model, {"id": row_id, **values})


@functools.cache
def _insert_returning_id(table: sa.Table) -> sa.Insert:
    # One statement per table, so its compiled form is found without building a new one each time.
    return sa.insert(table).returning(table.c.id)
