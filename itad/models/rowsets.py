"""Writing thousands of rows in one statement: the bulk paths' inserts and updates.

On PostgreSQL inserts go by COPY, as text built a column at a time (_copy_text): the server parses
COPY's text format at a fraction of the cost of unpacking JSON into records, and building it column
by column keeps Python's work to a few C-level passes per column, where psycopg's write_row would
adapt every value alone. Updates travel as one JSON document, serialised by pydantic-core in one
call and unpacked by the server (json_to_recordset): COPY cannot update. Elsewhere (SQLite) a Core
executemany does the same job. Values must be what JSON carries, plus datetimes (sent as ISO 8601
with their zone); dict and list values go to JSON columns.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import queue
import threading
from datetime import date, datetime
from typing import Sequence

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
def _copy(table: sa.Table, names: tuple[str, ...]) -> str:
    return f"COPY {table.name} ({', '.join(names)}) FROM STDIN"


# COPY's text format: a backslash escapes, tab separates columns, newline ends the row, \N is NULL.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = ("\\", "\t", "\n", "\r")
_NULL = "\\N"
_NONE = type(None)
_JSON_KINDS = (dict, list)


def _copy_column(values: tuple) -> Sequence[str]:
    """One column's values as COPY text fields. A column mostly holds one type and needs no escaping,
    so the checks run over the whole column (C loops) and values are written alone only where needed."""
    kinds = set(map(type, values))
    nulls = _NONE in kinds
    kinds.discard(_NONE)
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is None and not kinds:
        return (_NULL,) * len(values)
    if kind is int and not nulls:
        return list(map(str, values))
    if kind is str or kind in _JSON_KINDS:
        if kind is not str:
            values = [None if v is None else pydantic_core.to_json(v).decode() for v in values]
        present = [v for v in values if v is not None] if nulls else values
        if any(c in "".join(present) for c in _SPECIAL):
            return [_NULL if v is None else v.translate(COPY_ESCAPES) for v in values]
        return [_NULL if v is None else v for v in values] if nulls else values
    if kind in (int, bool, datetime, date):
        # Few distinct values (the rows of one request share their timestamps): each written out once.
        text = {v: _copy_field(v) for v in set(values)}
        return list(map(text.__getitem__, values))
    return list(map(_copy_field, values))


def _copy_field(value) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)        # a str enum: its text
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        # JSON text has no raw tab or newline (pydantic-core escapes them); its backslashes are doubled.
        return pydantic_core.to_json(value).decode().replace("\\", "\\\\")
    raise TypeError(f"{type(value).__name__} cannot be written by COPY")


def _copy_text(rows: list[dict], names: tuple[str, ...]) -> str:
    """The rows as COPY text: built column by column, then joined row by row (zip, join: C loops)."""
    if len(names) == 1:
        columns = [tuple(row[names[0]] for row in rows)]
    else:
        columns = zip(*map(operator.itemgetter(*names), rows))
    return "\n".join(map("\t".join, zip(*map(_copy_column, columns)))) + "\n"


def insert_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """INSERT every row (all with the same keys)."""
    if not rows:
        return
    if not on_postgres(session):
        session.execute(sa.insert(table), rows)
        return
    names = tuple(rows[0])
    _copy_in(session.connection().connection.dbapi_connection, _copy(table, names), _copy_text(rows, names))


def _copy_in(connection: psycopg.Connection, sql: str, text: str) -> None:
    with connection.cursor().copy(sql) as copy:
        copy.write(text)


def _execute(connection: psycopg.Connection, sql: str, document: str) -> int:
    return connection.execute(sql, {"rows": document}).rowcount


class RowStream:
    """Rows inserted and updated in order as they are produced, while the producer goes on (use `streaming`).

    The one background writer of the bulk paths (wipe results, asset lists). On PostgreSQL a second
    thread sends each chunk on the request's own connection (its transaction, its locks): the server
    writes one chunk while Python builds the next, so a bulk request costs about the larger of the two,
    not their sum. The producer serialises each chunk before queueing it, so the second thread only
    waits on the server. The queue is bounded (_AHEAD chunks): a producer faster than the server waits
    instead of holding the whole request in memory. psycopg serialises the connection's use between
    the threads; the producer may still run its own statements in between. Elsewhere (SQLite, one
    writer anyway) each chunk is written at once.
    """

    def __init__(self, session: Session):
        self._session = session
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        self._held = _NOTHING
        if on_postgres(session):
            self._connection = session.connection().connection.dbapi_connection
            self._queue = queue.Queue(maxsize=_AHEAD)
            self._thread = threading.Thread(target=self._run, name="itad-row-stream", daemon=True)
            self._thread.start()

    def insert(self, table: sa.Table, rows: list[dict]) -> None:
        if not rows:
            return
        if self._queue is None:
            insert_rows(self._session, table, rows)
        else:
            names = tuple(rows[0])
            self._send([(_copy_in, _copy(table, names), _copy_text(rows, names))], None)

    def copy(self, parts: list[tuple[str, str]]) -> None:
        """PostgreSQL only: COPY statements with their text already built, written in order. Several
        such calls with the same statements, waiting in the queue together, go as one COPY each."""
        if self._queue is None:
            raise RuntimeError("preformatted COPY text is for PostgreSQL")
        self._send([(_copy_in, sql, text) for sql, text in parts if text], None)

    def update(self, table: sa.Table, rows: list[dict], *, key: str = "id", match: tuple[str, ...] = (),
               extra: dict[str, sa.ColumnElement] | None = None, conflict: Exception | None = None) -> None:
        """update_rows, streamed; `conflict` is raised (by close) if not every row was found as matched."""
        if not rows:
            return
        if self._queue is None:
            if update_rows(self._session, table, rows, key=key, match=match, extra=extra) != len(rows) \
                    and conflict is not None:
                raise conflict
        else:
            sql = _update(table, tuple(rows[0]), key, match, extra).replace("CAST(:rows AS json)", "CAST(%(rows)s AS json)")
            self._send([(_execute, sql, _document(rows))], None if conflict is None else (conflict, len(rows)))

    def _send(self, writes: list[tuple], conflict: tuple[Exception, int] | None) -> None:
        """Queue the writes (write(connection, sql, payload) each); with `conflict` (the error, the rows
        expected), the one write returns how many rows it updated, and fewer is that error."""
        if self._error is None and writes:
            self._queue.put((writes, conflict))

    def _run(self) -> None:
        while (work := self._take()) is not None:
            writes, conflict = work
            if self._error is not None:
                continue            # the transaction is lost: drain without writing
            try:
                for write, sql, payload in writes:
                    done = write(self._connection, sql, payload)
                if conflict is not None and done != conflict[1]:
                    self._error = conflict[0]
            except BaseException as exc:  # noqa: BLE001 - handed to the producer's thread by close()
                self._error = exc

    def _take(self):
        """The next item, merged with those waiting behind it that COPY into the same tables in the same
        order: while the server is the slower side, items queue up, and one COPY per table instead of
        several saves round trips (and this thread's wait for the interpreter lock after each)."""
        if self._held is not _NOTHING:
            work, self._held = self._held, _NOTHING
        else:
            work = self._queue.get()
        if not _copies_only(work):
            return work
        statements = [sql for _, sql, _ in work[0]]
        texts = [[text] for _, _, text in work[0]]
        while True:
            try:
                after = self._queue.get_nowait()
            except queue.Empty:
                break
            if not _copies_only(after) or [sql for _, sql, _ in after[0]] != statements:
                self._held = after      # written next, in its turn
                break
            for parts, (_, _, text) in zip(texts, after[0]):
                parts.append(text)
        if len(texts[0]) == 1:
            return work
        return [(_copy_in, sql, "".join(parts)) for sql, parts in zip(statements, texts)], None

    def check(self) -> None:
        """Raise now what a chunk written so far raised, rather than at close: the producer stops early."""
        if self._error is not None and not isinstance(self._error, _Aborted):
            self.close()

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


_NOTHING = object()
# Items queued ahead of the writing thread: enough to merge a few while the server is behind.
_AHEAD = 4


def _copies_only(work) -> bool:
    return work is not None and work[1] is None and all(write is _copy_in for write, _, _ in work[0])


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


_BY_KEY = 20


def update_rows(session: Session, table: sa.Table, rows: list[dict], *, key: str = "id",
                match: tuple[str, ...] = (), extra: dict[str, sa.ColumnElement] | None = None) -> int:
    """UPDATE the row whose `key` (and every column in `match`) equals each row's; set its other keys, and
    `extra` (SQL expressions over the old row, e.g. version + 1). Returns how many rows were updated."""
    if not rows:
        return 0
    names = tuple(rows[0])
    # A handful of rows (one step's device and media): an UPDATE by key each, through the index. The
    # planner does not know how few rows a JSON recordset holds, and joined to one it may scan the table.
    if not on_postgres(session) or len(rows) <= _BY_KEY:
        t = table
        where = [t.c[n] == sa.bindparam(f"b_{n}") for n in (key, *match)]
        values = {n: sa.bindparam(f"b_{n}") for n in names if n != key and n not in match} | (extra or {})
        params = [{f"b_{n}": row[n] for n in names} for row in rows]
        return session.execute(sa.update(t).where(*where).values(values),
                               params[0] if len(params) == 1 else params).rowcount
    return session.execute(sa.text(_update(table, names, key, match, extra)), {"rows": _document(rows)}).rowcount


def _update(table: sa.Table, names: tuple[str, ...], key: str, match: tuple[str, ...],
            extra: dict[str, sa.ColumnElement] | None) -> str:
    dialect = postgresql.dialect()
    sets = [f"{n} = r.{n}" for n in names if n != key and n not in match]
    sets += [f"{n} = {expr.compile(dialect=dialect, compile_kwargs={'literal_binds': True})}"
             for n, expr in (extra or {}).items()]
    where = " AND ".join(f"{table.name}.{n} = r.{n}" for n in (key, *match))
    return f"UPDATE {table.name} SET {', '.join(sets)} FROM {_recordset(table, names)} WHERE {where}"
