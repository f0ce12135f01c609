"""Loading checked manifest rows into the device and storage_medium tables, chunk by chunk.

``loader_for(session, batch, now, expected_rows)`` answers a loader with ``write(chunk)``,
``finish() -> media`` and ``abort()``. Rows arrive as plain tuples in ManifestRow's field order (see
Manifest.chunks) and go in as plain tuples too (no ORM object per row), in the caller's transaction.
Device ids are reserved before the rows are written, so media rows can name their device without
RETURNING.

PostgreSQL: the bulk paths' background writer (RowStream) COPYs each chunk (devices, then their
media) while the request's thread goes on reading the file. The parser is Python and holds one core;
the server checks foreign keys and fills indexes on the other, so the two overlap instead of taking
turns. The session is not used for anything else until ``finish`` or ``abort`` returns.

SQLite: one DBAPI executemany per chunk and table, in this thread (see SqliteLoader).
"""

from __future__ import annotations

from datetime import datetime, timezone
from json.encoder import encode_basestring

from sqlalchemy.orm import Session

from itad.models import Batch
from itad.models.rowsets import COPY_ESCAPES, RowStream

_DEVICE_COLUMNS = ("id", "batch_id", "organization_id", "serial", "asset_tag", "manufacturer", "model",
                   "category", "state", "manifest_row", "attributes", "version", "created_at", "updated_at")
_MEDIUM_COLUMNS = ("device_id", "serial", "media_type", "manufacturer", "model", "capacity_bytes", "source", "state",
                  "failed_wipes", "created_at")
# NULL '' : every optional field the manifest hands over is None or a non-empty string, so an empty
# field can stand for NULL and the usual block holds no backslash at all (see _block).
_COPY_DEVICES = f"COPY device ({', '.join(_DEVICE_COLUMNS)}) FROM STDIN (FORMAT text, NULL '')"
_COPY_MEDIA = f"COPY storage_medium ({', '.join(_MEDIUM_COLUMNS)}) FROM STDIN (FORMAT text, NULL '')"
# Device ids from the table's sequence. Almost always they come out contiguous (nobody else took one
# meanwhile), and then only the first and last travel back; when another session did take ids in
# between, every id comes back.
_RESERVE_IDS = """
    WITH reserved AS (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s))
    SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL ELSE array_agg(id) END
    FROM reserved"""
# SQLite's page cache during a load (KiB): the indexes of a 100,000-row list fit.
_SQLITE_CACHE_KIB = 64 * 1024


def loader_for(session: Session, batch: Batch, now: datetime, expected_rows: int):
    """expected_rows: how many rows the list probably has (an upper bound is best: see CopyLoader)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return CopyLoader(session, batch, now, expected_rows)
    if dialect == "sqlite":
        return SqliteLoader(session, batch, now)
    raise NotImplementedError(f"intake loads into SQLite or PostgreSQL, not {dialect}")


def attributes_json(attributes: tuple[str, ...], keys: dict[str, str]) -> str:
    """The unmapped columns of a row, (header, value, header, value, ...) as Manifest.chunks
    gives them, as a JSON object. ``keys`` caches each header's encoding: a list has a handful of
    headers and 100,000 rows, and json.dumps per row costs several times more."""
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
            f"(?, ?, ?, ?, ?, ?, 'manifest', 'pending', 0, {stamp})")
        self._keys: dict[str, str] = {}

    def write(self, chunk: list) -> None:
        first, keys = self._next_id, self._keys
        self._next_id += len(chunk)
        self._cursor.executemany(self._device_insert, [
            (device_id, serial, tag, make, model, category, number,
             attributes_json(attributes, keys) if attributes else None)
            for device_id, (number, serial, tag, make, model, category, _, attributes) in enumerate(chunk, first)
        ])
        media = [(device_id, drive, "unknown", None, None, None) if type(drive) is str else
                 (device_id, drive[0], drive[1] or "unknown", *drive[2:])
                 for device_id, (*_, drives, _) in enumerate(chunk, first) for drive in drives]
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
    """PostgreSQL: each chunk as COPY text (devices, then their media), written by the bulk paths' one
    background writer (itad.models.rowsets.RowStream) while this thread reads the next chunk.

    Device ids are reserved from the sequence ahead of the rows (the list's expected length at once,
    more if it runs out), so this thread writes every line whole and the writer only sends it: the
    server waits for nothing but the text. Ids reserved and not used are a gap in the sequence, as
    a rolled-back insert leaves. Every constraint and trigger stays on: the database checks each row's
    references as it does for any other write.
    """

    def __init__(self, session: Session, batch: Batch, now: datetime, expected_rows: int):
        self.connection = session.connection().connection.driver_connection  # psycopg 3
        # The sequence is looked up once: pg_get_serial_sequence() inside the reserving SELECT ran
        # once per row (a catalog search each).
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('device', 'id')")
            (self._sequence,) = cursor.fetchone()
        self._free: range | list[int] = range(0)
        self._reserve(max(expected_rows, 1))
        self.media = 0
        stamp = now.astimezone(timezone.utc).isoformat()
        self._device_head = f"\t{int(batch.id)}\t{int(batch.organization_id)}\t"
        self._device_tail = f"\t1\t{stamp}\t{stamp}\n"
        self._medium_tail = f"\tmanifest\tpending\t0\t{stamp}\n"
        self._keys: dict[str, str] = {}
        self._stream = RowStream(session)

    def write(self, chunk: list) -> None:
        self._stream.check()
        ids = self._ids_for(len(chunk))
        head, tail, keys = self._device_head, self._device_tail, self._keys
        devices = _lines(
            lambda r: f"{r[0]}{head}{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}\tregistered\t{r[6]}\t{r[7]}{tail}",
            [(device_id, serial, tag or "", make or "", model or "", category or "", number,
              attributes_json(attributes, keys) if attributes else "")
             for device_id, (number, serial, tag, make, model, category, _, attributes) in zip(ids, chunk)],
            len(_DEVICE_COLUMNS))
        tail = self._medium_tail
        # A drive the list only names by serial (the usual one) is a string; one it describes, a tuple.
        media = _lines(lambda r: f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\t{r[5]}{tail}",
                       [(device_id, drive, "unknown", "", "", "") if type(drive) is str else
                        (device_id, drive[0], drive[1] or "unknown", drive[2] or "", drive[3] or "",
                         "" if drive[4] is None else drive[4])
                        for device_id, (*_, drives, _) in zip(ids, chunk) for drive in drives],
                       len(_MEDIUM_COLUMNS))
        self.media += len(media)
        self._stream.copy([(_COPY_DEVICES, "".join(devices)), (_COPY_MEDIA, "".join(media))])

    def finish(self) -> int:
        """Wait until every chunk is in; raise what went wrong in the writer."""
        self._stream.close()
        return self.media

    def abort(self) -> None:
        """The list is refused: drop what is not written yet and give the connection back
        (the caller rolls back). Waits for the COPY under way, never for the queue."""
        self._stream.abort()

    def _ids_for(self, count: int) -> range | list[int]:
        if len(self._free) < count:
            self._reserve(count - len(self._free))
        ids, self._free = self._free[:count], self._free[count:]
        return ids

    def _reserve(self, count: int) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(_RESERVE_IDS, (self._sequence, count))
            first, last, scattered = cursor.fetchone()
        more = scattered or range(first, last + 1)
        if len(more) != count:  # then zip() in write would drop devices that media still name
            raise RuntimeError(f"reserved {len(more)} device ids for {count} devices")
        self._free = more if not self._free else [*self._free, *more]


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
