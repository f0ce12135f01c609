"""Loading checked manifest rows into the device and storage_medium tables, chunk by chunk.

``loader_for(session, batch, now)`` answers a loader with ``write(chunk)``, ``finish() -> media``
and ``abort()``. Rows arrive as plain tuples in ManifestRow's field order (see Manifest.chunks)
and go in as plain tuples too (no ORM object per row), in the caller's transaction. Device ids
are reserved before each chunk is written, so media rows can name their device without RETURNING.

PostgreSQL: a second thread COPYs each chunk (devices, then their media) while the request's
thread goes on reading the file. The parser is Python and holds one core; the server checks
foreign keys and fills indexes on the other, so the two overlap instead of taking turns. The
session is not touched while the loader runs: the thread has the connection to itself until
``finish`` or ``abort`` returns. Rows are sent as preformatted COPY text, one block per chunk.

SQLite: one DBAPI executemany per chunk and table, in this thread (see SqliteLoader).
"""

from __future__ import annotations

import queue
import threading
from datetime import datetime, timezone
from json.encoder import encode_basestring

from sqlalchemy.orm import Session

from itad.models import Batch
from itad.workflow.rowsets import COPY_ESCAPES

_DEVICE_COLUMNS = ("id", "batch_id", "organization_id", "serial", "asset_tag", "manufacturer", "model",
                   "category", "state", "manifest_row", "attributes", "version", "created_at", "updated_at")
_MEDIUM_COLUMNS = ("device_id", "serial", "media_type", "source", "state", "failed_wipes", "created_at")
# NULL '' : every optional field the manifest hands over is None or a non-empty string, so an empty
# field can stand for NULL and the usual block holds no backslash at all (see _block).
_COPY_DEVICES = f"COPY device ({', '.join(_DEVICE_COLUMNS)}) FROM STDIN (FORMAT text, NULL '')"
_COPY_MEDIA = f"COPY storage_medium ({', '.join(_MEDIUM_COLUMNS)}) FROM STDIN (FORMAT text, NULL '')"
# Device ids for one chunk, from the table's sequence. Almost always they come out contiguous
# (nobody else took one meanwhile), and then only the first and last travel back: fetching 5,000
# ids as rows cost 16 ms per chunk of the COPY thread's time, a fifth of what the server needs
# to store the chunk. When another session did take ids in between, every id comes back.
_RESERVE_IDS = """
    WITH reserved AS (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s))
    SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL ELSE array_agg(id) END
    FROM reserved"""
# SQLite's page cache during a load (KiB): the indexes of a 100,000-row list fit.
_SQLITE_CACHE_KIB = 64 * 1024
# Chunks read ahead of the COPY thread: enough to keep both cores busy, few enough to keep memory flat.
_READ_AHEAD = 2


def loader_for(session: Session, batch: Batch, now: datetime):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return CopyLoader(session, batch, now)
    if dialect == "sqlite":
        return SqliteLoader(session, batch, now)
    raise NotImplementedError(f"intake loads into SQLite or PostgreSQL, not {dialect}")


def attributes_json(attributes: tuple[str, ...], keys: dict[str, str]) -> str:
    """The unmapped columns of a row, (header, value, header, value, ...) as Manifest.chunks
    gives them, as a JSON object. ``keys`` caches each header's encoding: a list has a handful of
    headers and 100,000 rows, and json.dumps per row costs 3x more."""
    parts = []
    pairs = iter(attributes)
    for key, value in zip(pairs, pairs):
        encoded = keys.get(key)
        if encoded is None:
            encoded = keys[key] = encode_basestring(key)
        parts.append(f"{encoded}:{encode_basestring(value)}")
    return "{" + ",".join(parts) + "}"


class SqliteLoader:
    """SQLite: one DBAPI executemany per chunk for the devices and one for their media.

    Rows go to the sqlite3 driver as tuples of the values the file supplied; what is the same on
    every row (batch, organization, state, timestamps) is written into the statement once. Core
    executemany spent three quarters of its time on per-row parameter processing (a dict per row,
    each timestamp through the type's bind processor, json.dumps per row), not in SQLite.

    Ids are reserved past the current largest one, which is safe because this transaction
    already holds SQLite's single write lock (it inserted the batch row), so media rows name
    their device without a round trip.

    The page cache is raised for the load and put back afterwards: at SQLite's default (2 MB) the
    five device indexes outgrow it within a few thousand rows, and every page pushed out is
    written to the WAL before the commit, then again when it changes. A larger cache changes
    when pages are written, not what a commit guarantees (journal_mode and synchronous stay
    as the app sets them).
    """

    def __init__(self, session: Session, batch: Batch, now: datetime):
        self.media = 0
        connection = session.connection().connection.driver_connection  # sqlite3
        self._cursor = connection.cursor()
        self._cursor.execute("PRAGMA cache_size")
        (self._cache_size,) = self._cursor.fetchone()
        self._cursor.execute(f"PRAGMA cache_size = {-_SQLITE_CACHE_KIB}")
        self._next_id = (self._cursor.execute("SELECT max(id) FROM device").fetchone()[0] or 0) + 1
        stamp = _sqlite_timestamp(now)
        self._device_insert = (
            f"INSERT INTO device ({', '.join(_DEVICE_COLUMNS)}) VALUES "
            f"(?, {int(batch.id)}, {int(batch.organization_id)}, ?, ?, ?, ?, ?, 'registered', ?, ?, 1, "
            f"{stamp}, {stamp})")
        self._medium_insert = (
            f"INSERT INTO storage_medium ({', '.join(_MEDIUM_COLUMNS)}) VALUES "
            f"(?, ?, 'unknown', 'manifest', 'pending', 0, {stamp})")
        self._keys: dict[str, str] = {}

    def write(self, chunk: list) -> None:
        first, keys = self._next_id, self._keys
        self._next_id += len(chunk)
        self._cursor.executemany(self._device_insert, [
            (device_id, serial, tag, make, model, category, number,
             attributes_json(attributes, keys) if attributes else None)
            for device_id, (number, serial, tag, make, model, category, _, attributes) in enumerate(chunk, first)
        ])
        media = [(device_id, drive) for device_id, (*_, drives, _) in enumerate(chunk, first) for drive in drives]
        if media:
            self._cursor.executemany(self._medium_insert, media)
            self.media += len(media)

    def finish(self) -> int:
        self._restore()
        return self.media

    def abort(self) -> None:
        self._restore()

    def _restore(self) -> None:
        self._cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
        self._cursor.close()


class CopyLoader:
    """PostgreSQL: COPY each chunk from a second thread, in the session's transaction.

    This thread turns a chunk into COPY text, all but the device ids; the COPY thread reserves
    the ids, puts them in front of the lines and sends them. The server waits for the COPY
    thread only as long as that takes, not for the formatting too.

    Every constraint and trigger stays on: the database checks each row's references as it does
    for any other write.
    """

    def __init__(self, session: Session, batch: Batch, now: datetime):
        self.connection = session.connection().connection.driver_connection  # psycopg 3
        # The sequence is looked up once: pg_get_serial_sequence() inside the reserving SELECT ran
        # once per row (a catalog search each) and cost the server 0.5 s per 100,000 rows; the
        # nextval() calls themselves cost a tenth of that.
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('device', 'id')")
            (self._sequence,) = cursor.fetchone()
        self.media = 0
        stamp = now.astimezone(timezone.utc).isoformat()
        self._device_head = f"\t{int(batch.id)}\t{int(batch.organization_id)}\t"
        self._device_tail = f"\t1\t{stamp}\t{stamp}\n"
        self._medium_tail = f"\tunknown\tmanifest\tpending\t0\t{stamp}\n"
        self._keys: dict[str, str] = {}
        self._chunks: queue.Queue = queue.Queue(maxsize=_READ_AHEAD)
        self._failure: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="intake-copy", daemon=True)
        self._thread.start()

    # -- the reading thread --------------------------------------------------------------------

    def write(self, chunk: list) -> None:
        if self._failure is not None:
            self.finish()  # raises the loader's error
        head, tail, keys = self._device_head, self._device_tail, self._keys
        devices = _lines(
            lambda r: f"{head}{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\tregistered\t{r[5]}\t{r[6]}{tail}",
            [(serial, tag or "", make or "", model or "", category or "", number,
              attributes_json(attributes, keys) if attributes else "")
             for number, serial, tag, make, model, category, _, attributes in chunk],
            len(_DEVICE_COLUMNS))
        tail = self._medium_tail
        owners = [at for at, (*_, drives, _) in enumerate(chunk) for _ in drives]
        media = _lines(lambda r: f"\t{r[0]}{tail}",
                       [(drive,) for *_, drives, _ in chunk for drive in drives], len(_MEDIUM_COLUMNS))
        self._chunks.put((devices, owners, media))

    def finish(self) -> int:
        """Wait until every chunk is in; raise what went wrong in the COPY thread."""
        self._chunks.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.media

    def abort(self) -> None:
        """The list is refused: drop what is not written yet and give the connection back
        (the caller rolls back). Waits for the COPY under way, never for the queue."""
        self._cancelled = True
        self._chunks.put(None)
        self._thread.join()

    # -- the COPY thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            with self.connection.cursor() as cursor:
                while (item := self._chunks.get()) is not None:
                    if not self._cancelled:
                        self._copy(cursor, *item)
        except BaseException as exc:  # handed to the reading thread by finish()
            self._failure = exc
            while self._chunks.get() is not None:  # let the reader put its last chunks and stop
                pass

    def _copy(self, cursor, devices: list[str], owners: list[int], media: list[str]) -> None:
        cursor.execute(_RESERVE_IDS, (self._sequence, len(devices)))
        first, last, scattered = cursor.fetchone()
        ids = scattered or range(first, last + 1)
        if len(ids) != len(devices):  # then zip() below would drop devices that media still name
            raise RuntimeError(f"reserved {len(ids)} device ids for {len(devices)} devices")
        with cursor.copy(_COPY_DEVICES) as copy:
            copy.write("".join([f"{device_id}{line}" for device_id, line in zip(ids, devices)]))
        if media:
            with cursor.copy(_COPY_MEDIA) as copy:
                copy.write("".join([f"{ids[at]}{line}" for at, line in zip(owners, media)]))
            self.media += len(media)


def _lines(line, rows: list[tuple], columns: int) -> list[str]:
    """COPY text lines, ``line(row)`` for each row, each short of its first column.

    A value holding a backslash, tab or line break (a quoted cell spanning lines, a quote in an
    attribute's JSON) must be escaped. One look at the whole chunk tells whether any does, so
    the usual chunk pays nothing per value; the rare one is built again with every text escaped.
    """
    lines = list(map(line, rows))
    text = "".join(lines)
    if ("\\" in text or "\r" in text or text.count("\n") != len(rows)
            or text.count("\t") != len(rows) * (columns - 1)):
        lines = [line(tuple(v.translate(COPY_ESCAPES) if type(v) is str else v for v in row)) for row in rows]
    return lines


def _sqlite_timestamp(moment: datetime) -> str:
    """``moment`` as an SQLite literal, stored exactly as UTCDateTime stores it there (naive UTC,
    microseconds), so reading it back gives the same value as a row written through the ORM."""
    return "'" + moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
