"""Writing a step's rows with single Core statements, and handing them back as ORM instances.

A workflow step writes a few rows once and never changes them again (custody events, wipe records).
Through the ORM, each costs a unit-of-work flush: change tracking, a dependency sort, the history of
every attribute, most of a step's CPU. A single INSERT does the same write; the instance returned is
then attached to the session as if it had been loaded (itad.models.instances.attached), so
session.get finds it and the response reads it, with no second statement.

A step's state change (`step`) is several such writes: the device's new state and version, its
media's states, the custody event and the step's own record. On PostgreSQL they go as one statement
(data-modifying CTEs): each statement is a round trip and a pass through SQLAlchemy, psycopg and the
server's executor, most of what a step costs beyond its reads. Elsewhere (SQLite) one each.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import CustodyEvent, Device, StorageMedium
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


def step(session: Session, *, device_id: int, old_version: int, new_state: str, now: Any,
         media: list[tuple[int, str, int]], event: dict[str, Any],
         record: tuple[type, dict[str, Any]] | None = None) -> tuple[int, int | None] | None:
    """Write a step: the device moves to new_state and version old_version + 1 if it is still at
    old_version (the optimistic check), its media to their (id, state, failed_wipes), and the custody
    event's and the record's rows (model, values: every column but the id) are inserted.
    (event id, record id), or None when the device was not at old_version: then nothing is written."""
    conn = session.connection()
    # "device", not "device_id": a parameter named like a column of a table the statement updates
    # would be taken for a value to SET there.
    moved = {"device": device_id, "old_version": old_version, "new_version": old_version + 1,
             "new_state": new_state, "now": now}
    if conn.dialect.name == "postgresql":
        params = dict(moved)
        for i, (medium_id, state, failed_wipes) in enumerate(media):
            params.update({f"medium{i}_id": medium_id, f"medium{i}_state": state, f"medium{i}_failed_wipes": failed_wipes})
        params.update({f"event_{k}": v for k, v in event.items()})
        if record is not None:
            params.update({f"record_{k}": v for k, v in record[1].items()})
        statement = _step_statement(len(media), tuple(event),
                                    record[0].__table__ if record else None, tuple(record[1]) if record else ())
        row = conn.execute(statement, params).first()
        return None if row is None else (row[0], row[1] if record else None)
    if conn.execute(_device_update(), moved).rowcount != 1:
        return None
    for medium_id, state, failed_wipes in media:
        conn.execute(_medium_update(), {"medium_id": medium_id, "new_state": state, "new_failed_wipes": failed_wipes})
    event_id = conn.execute(_insert_returning_id(CustodyEvent.__table__), event).scalar_one()
    if record is None:
        return event_id, None
    return event_id, conn.execute(_insert_returning_id(record[0].__table__), record[1]).scalar_one()


@functools.cache
def _device_update() -> sa.Update:
    t = Device.__table__
    return (sa.update(t).where(t.c.id == sa.bindparam("device"), t.c.version == sa.bindparam("old_version"))
            .values({t.c.state: sa.bindparam("new_state", type_=t.c.state.type),
                     t.c.version: sa.bindparam("new_version", type_=t.c.version.type),
                     t.c.updated_at: sa.bindparam("now", type_=t.c.updated_at.type)}))


@functools.cache
def _medium_update() -> sa.Update:
    t = StorageMedium.__table__
    return (sa.update(t).where(t.c.id == sa.bindparam("medium_id"))
            .values({t.c.state: sa.bindparam("new_state", type_=t.c.state.type),
                     t.c.failed_wipes: sa.bindparam("new_failed_wipes", type_=t.c.failed_wipes.type)}))


@functools.cache
def _step_statement(n_media: int, event_names: tuple[str, ...], record_table: sa.Table | None,
                    record_names: tuple[str, ...]) -> sa.Select:
    """`step` on PostgreSQL. The device UPDATE is a CTE whose RETURNING the others select from, so when
    the version check fails nothing else is written and no row comes back. Built once per shape."""
    moved = _device_update().returning(Device.__table__.c.id).cte("moved")
    media_table = StorageMedium.__table__
    media = [sa.update(media_table)
             .where(media_table.c.id == sa.bindparam(f"medium{i}_id", type_=media_table.c.id.type),
                    sa.exists(sa.select(moved.c.id)))
             .values({media_table.c.state: sa.bindparam(f"medium{i}_state", type_=media_table.c.state.type),
                      media_table.c.failed_wipes: sa.bindparam(f"medium{i}_failed_wipes",
                                                                type_=media_table.c.failed_wipes.type)})
             .cte(f"medium{i}") for i in range(n_media)]
    event = _insert_if_moved(CustodyEvent.__table__, event_names, "event", moved)
    if record_table is None:
        return sa.select(event.c.id).add_cte(*media)
    record = _insert_if_moved(record_table, record_names, "record", moved)
    return sa.select(event.c.id, record.c.id).select_from(event.join(record, sa.true())).add_cte(*media)


def _insert_if_moved(table: sa.Table, names: tuple[str, ...], prefix: str, moved: sa.CTE) -> sa.CTE:
    # INSERT ... SELECT <values> FROM moved: a row only if the device moved. Each value is cast to its
    # column's type, since a SELECT list does not take its types from the INSERT (a NULL would be text).
    values = [sa.cast(sa.bindparam(f"{prefix}_{name}", type_=table.c[name].type), table.c[name].type)
              for name in names]
    return (sa.insert(table).from_select(list(names), sa.select(*values).select_from(moved), include_defaults=False)
            .returning(table.c.id).cte(prefix))
