"""Writing thousands of rows in one statement: the bulk paths' inserts and updates.

On PostgreSQL the rows travel as one JSON document, serialised by pydantic-core in one call and
unpacked by the server (json_to_recordset): a single round trip and no per-row work in Python,
where an executemany or a COPY spends most of its time adapting values one by one. Elsewhere
(SQLite) a Core executemany does the same job. Values must be what JSON carries, plus datetimes
(sent as ISO 8601 with their zone); dict and list values go to JSON columns.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading

import psycopg
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


@functools.cache
def _insert(table: sa.Table, names: tuple[str, ...]) -> str:
    columns = ", ".join(names)
    return f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {_recordset(table, names)}"


def insert_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """INSERT every row (all with the same keys)."""
    if not rows:
        return
    if not on_postgres(session):
        session.execute(sa.insert(table), rows)
        return
    session.execute(sa.text(_insert(table, tuple(rows[0]))), {"rows": _document(rows)})


class RowStream:
    """Rows inserted and updated in order as they are produced, while the producer goes on (use `streaming`).

    On PostgreSQL a second thread sends each chunk on the request's own connection (its transaction,
    its locks): the server writes one chunk while Python builds the next, so a bulk request costs
    about the larger of the two, not their sum. psycopg serialises the connection's use between the
    threads; the producer may still run its own statements in between. Elsewhere (SQLite, one
    writer anyway) each chunk is written at once.
    """

    def __init__(self, session: Session):
        self._session = session
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if on_postgres(session):
            self._connection = session.connection().connection.dbapi_connection
            self._queue = queue.Queue()
            self._thread = threading.Thread(target=self._run, name="itad-row-stream", daemon=True)
            self._thread.start()

    def insert(self, table: sa.Table, rows: list[dict]) -> None:
        if not rows:
            return
        if self._queue is None:
            insert_rows(self._session, table, rows)
        else:
            self._send(_insert(table, tuple(rows[0])), rows, None)

    def update(self, table: sa.Table, rows: list[dict], *, key: str = "id", match: tuple[str, ...] = (),
               extra: dict[str, sa.ColumnElement] | None = None, conflict: Exception | None = None) -> None:
        """update_rows, streamed; `conflict` is raised (by close) if a row was not found as matched."""
        if not rows:
            return
        if self._queue is None:
            if update_rows(self._session, table, rows, key=key, match=match, extra=extra) != len(rows) \
                    and conflict is not None:
                raise conflict
        else:
            self._send(_update(table, tuple(rows[0]), key, match, extra), rows, conflict)

    def _send(self, sql: str, rows: list[dict], conflict: Exception | None) -> None:
        if self._error is None:
            self._queue.put((sql.replace("CAST(:rows AS json)", "CAST(%(rows)s AS json)"), rows, conflict))

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            if self._error is not None:
                continue            # the transaction is lost: drain without writing
            sql, rows, conflict = work
            try:
                done = self._connection.execute(sql, {"rows": _document(rows)}).rowcount
                if conflict is not None and done != len(rows):
                    self._error = conflict
            except BaseException as exc:  # noqa: BLE001 - handed to the producer's thread by close()
                self._error = exc

    def close(self) -> None:
        """Wait until every chunk is written; raise what a chunk raised (an IntegrityError as SQLAlchemy's)."""
        if self._queue is None:
            return
        self._stop()
        if self._error is not None:
            raise self._failure()

    def abort(self) -> BaseException | None:
        """Stop without writing what is still queued; returns a chunk's error, if one failed (the chunk
        being written when asked to stop may be the one: its error replaces the stop mark)."""
        if self._queue is not None:
            if self._error is None:
                self._error = _Aborted()
            self._stop()
        return None if self._error is None or isinstance(self._error, _Aborted) else self._failure()

    def _stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _failure(self) -> BaseException:
        if isinstance(self._error, psycopg.IntegrityError):
            return sa.exc.IntegrityError("INSERT (streamed)", None, self._error)
        return self._error


class _Aborted(Exception):
    pass


@contextlib.contextmanager
def streaming(session: Session):
    """A RowStream, closed on the way out. On an error the writer is stopped before it propagates
    (no thread may touch the connection once the request rolls back); if a chunk failed first (which
    spoils the transaction, so the producer's next statement fails too), that error is the one raised."""
    stream = RowStream(session)
    try:
        yield stream
    except BaseException as exc:
        failure = stream.abort()
        if failure is not None:
            raise failure from exc
        raise
    stream.close()


def update_rows(session: Session, table: sa.Table, rows: list[dict], *, key: str = "id",
                match: tuple[str, ...] = (), extra: dict[str, sa.ColumnElement] | None = None) -> int:
    """UPDATE the row whose `key` (and every column in `match`) equals each row's; set its other keys, and
    `extra` (SQL expressions over the old row, e.g. version + 1). Returns how many rows were updated."""
    if not rows:
        return 0
    names = tuple(rows[0])
    if not on_postgres(session):
        t = table
        where = [t.c[n] == sa.bindparam(f"b_{n}") for n in (key, *match)]
        values = {n: sa.bindparam(f"b_{n}") for n in names if n != key and n not in match} | (extra or {})
        params = [{f"b_{n}": row[n] for n in names} for row in rows]
        return session.execute(sa.update(t).where(*where).values(values), params).rowcount
    return session.execute(sa.text(_update(table, names, key, match, extra)), {"rows": _document(rows)}).rowcount


def _update(table: sa.Table, names: tuple[str, ...], key: str, match: tuple[str, ...],
            extra: dict[str, sa.ColumnElement] | None) -> str:
    dialect = postgresql.dialect()
    sets = [f"{n} = r.{n}" for n in names if n != key and n not in match]
    sets += [f"{n} = {expr.compile(dialect=dialect, compile_kwargs={'literal_binds': True})}"
             for n, expr in (extra or {}).items()]
    where = " AND ".join(f"{table.name}.{n} = r.{n}" for n in (key, *match))
    return f"UPDATE {table.name} SET {', '.join(sets)} FROM {_recordset(table, names)} WHERE {where}"
