"""Writing thousands of rows in one statement: the bulk paths' inserts and updates.

On PostgreSQL the rows travel as one JSON document, serialised by pydantic-core in one call and
unpacked by the server (json_to_recordset): a single round trip and no per-row work in Python,
where an executemany or a COPY spends most of its time adapting values one by one. Elsewhere
(SQLite) a Core executemany does the same job. Values must be what JSON carries, plus datetimes
(sent as ISO 8601 with their zone); dict and list values go to JSON columns.
"""

from __future__ import annotations

import functools

import pydantic_core
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@functools.cache
def _recordset(table: sa.Table, names: tuple[str, ...]) -> str:
    """`json_to_recordset(:rows) AS r(<name> <type>, ...)` for these columns of the table."""
    dialect = postgresql.dialect()
    spec = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in names)
    return f"json_to_recordset(CAST(:rows AS json)) AS r({spec})"


def _document(rows: list[dict]) -> str:
    return pydantic_core.to_json(rows).decode()


def insert_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """INSERT every row (all with the same keys)."""
    if not rows:
        return
    if not on_postgres(session):
        session.execute(sa.insert(table), rows)
        return
    names = tuple(rows[0])
    columns = ", ".join(names)
    session.execute(sa.text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {_recordset(table, names)}"),
                    {"rows": _document(rows)})


def update_rows(session: Session, table: sa.Table, rows: list[dict], *, key: str = "id",
                match: tuple[str, ...] = (), extra: dict[str, sa.ColumnElement] | None = None) -> int:
    """UPDATE the row whose `key` (and every column in `match`) equals each row's; set its other keys, and
    `extra` (SQL expressions over the old row, e.g. version + 1). Returns how many rows were updated."""
    if not rows:
        return 0
    names = tuple(rows[0])
    assigned = [n for n in names if n != key and n not in match]
    if not on_postgres(session):
        t = table
        where = [t.c[n] == sa.bindparam(f"b_{n}") for n in (key, *match)]
        values = {n: sa.bindparam(f"b_{n}") for n in assigned} | (extra or {})
        params = [{f"b_{n}": row[n] for n in names} for row in rows]
        return session.execute(sa.update(t).where(*where).values(values), params).rowcount
    dialect = postgresql.dialect()
    sets = [f"{n} = r.{n}" for n in assigned]
    sets += [f"{n} = {expr.compile(dialect=dialect, compile_kwargs={'literal_binds': True})}"
             for n, expr in (extra or {}).items()]
    where = " AND ".join(f"{table.name}.{n} = r.{n}" for n in (key, *match))
    sql = f"UPDATE {table.name} SET {', '.join(sets)} FROM {_recordset(table, names)} WHERE {where}"
    return session.execute(sa.text(sql), {"rows": _document(rows)}).rowcount
