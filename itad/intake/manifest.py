"""A client's asset list, read and checked row by row: the manifest of a batch.

``read_manifest(data)`` recognises the file, maps its header at once (refusing a list with no
serial column) and returns a ``Manifest``: an iterator of ``ManifestRow`` that reads the file as
it goes, plus the ``problems`` found so far. A row with a problem is not yielded. The intake
service streams the rows into the database in chunks inside one transaction and, once the
iterator is exhausted, commits only if ``manifest.ok``: a problem on the last row still rolls
the whole batch back, and the client gets every problem at once, not the first.

The one check that needs the database, "serial already in another open batch of this client",
comes in one of two ways. A caller that writes the rows as it reads (the intake service) checks
them all in one statement afterwards and reports each hit with ``serial_in_open_batch``. A
caller that only reads can pass ``known_serials``: a callable given the serials of one chunk (as
written in the file) that answers ``{serial: batch reference}`` for those it already knows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from itad.intake.categories import CATEGORIES, canonical_category, closest_category
from itad.intake.errors import ManifestError, NoSerialColumn, TooManyRows, UnreadableManifest
from itad.intake.headers import IMEI_HEADERS, ColumnMap, header_key, map_columns
from itad.intake.reading import Record, Source, json_records, open_records
from workflows.media import capacity_bytes, media_type
from workflows.mobile import imei_problem

__all__ = [
    "KnownSerials", "Manifest", "ManifestError", "ManifestRow", "NoSerialColumn", "Problem",
    "TooManyRows", "UnreadableManifest", "manifest_from_records", "read_manifest",
]

DEFAULT_MAX_ROWS = 200_000
DEFAULT_CHUNK_SIZE = 1_000
DEFAULT_MAX_PROBLEMS = 1_000
MAX_SERIAL_LENGTH = 120
MAX_CELL_LENGTH = 10_000   # an extra column's value, kept as an attribute
# The lengths the device table holds; a longer value is a problem, not a silent cut.
_MAX_LENGTH = {"asset_tag": 120, "manufacturer": 120, "model": 200}
# How far down a title or a note above the header may push it.
_HEADER_SEARCH_ROWS = 20

# Given the serials of one chunk exactly as the file writes them, answer {serial: reference of
# the open batch that already holds it} for those already registered, keyed by the same strings
# (compare case-insensitively in SQL, e.g. upper(serial) IN (...), and map back).
KnownSerials = Callable[[list[str]], Mapping[str, str]]

# What Excel makes of a long number in a General column: "6.37702E+15", "5,02E+18" in a
# comma-decimal locale. Only tried on values holding "E+", so most cells never reach it.
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?E\+[0-9]{1,3}", re.IGNORECASE)
_DRIVE_SEPARATORS = re.compile(r"[;,|/\s]+")
_SEPARATOR_CHARS = frozenset(";,|/ \t\r\n")
_UNSEEN = object()


class Problem(NamedTuple):
    """One thing wrong with one row, said so the client can find and fix it.

    ``row`` is the row number in their spreadsheet (header = row 1); ``column`` is the header
    as written in their file; ``code`` is stable for programs, ``message`` is for people.
    """

    row: int
    column: str | None
    value: str
    message: str
    code: str = "invalid"


_SIZE_IN_WORDS = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(TB|GB|MB|TiB|GiB|MiB)\b", re.IGNORECASE)


def _read_fact(fact: str, value: str, unit: str | None) -> dict[str, Any]:
    """What one cell says of a drive: {"type": "ssd"}, {"capacity": 512000000000}, ... ({} if nothing)."""
    if fact == "type":
        kind = media_type(value)
        return {"type": kind} if kind else {}
    if fact == "capacity":
        size = capacity_bytes(value, unit=unit)
        return {"capacity": size} if size else {}
    if fact in ("make", "model"):      # a value too long for the column stays whole, as an attribute
        return {fact: value} if len(value) <= _MAX_LENGTH["manufacturer" if fact == "make" else "model"] else {}
    # "describe": a drive in words, "512GB SSD" or "1 TB HDD"
    read: dict[str, Any] = {}
    kind = media_type(value)
    if kind:
        read["type"] = kind
    size = _SIZE_IN_WORDS.search(value)
    if size and (got := capacity_bytes(size.group(1) + size.group(2))):
        read["capacity"] = got
    return read


class ManifestRow(NamedTuple):
    """One device as listed by the client; optional fields are None when the cell is empty."""

    row_number: int
    serial: str
    asset_tag: str | None
    manufacturer: str | None
    model: str | None
    category: str | None  # canonical ("laptop"), see itad.intake.categories
    drive_serials: tuple[str, ...]
    attributes: dict[str, str]  # header as written -> non-empty value, for unmapped columns
    # Each listed drive with what the list says of it: (serial, media type, make, model, capacity in bytes),
    # None where the list is silent.
    drives: tuple[tuple[str, str | None, str | None, str | None, int | None], ...] = ()


def read_manifest(
    data: bytes,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    known_serials: KnownSerials | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> Manifest:
    """Read an uploaded CSV, XLSX or JSON list. Raises ManifestError subclasses for a list that
    cannot be taken at all (unreadable, no serial column); row problems go to ``problems``."""
    source, records = open_records(bytes(data))
    return Manifest(data, source, records, max_rows=max_rows, known_serials=known_serials,
                    chunk_size=chunk_size, max_problems=max_problems)


def manifest_from_records(
    items: Iterable[Mapping[str, Any]],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    known_serials: KnownSerials | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> Manifest:
    """The same checks for a JSON body already parsed: a list of objects, keys as headers.
    Rows are numbered from 1 by position in the list; ``sha256`` is None (no file)."""
    return Manifest(None, Source("json"), json_records(items), max_rows=max_rows,
                    known_serials=known_serials, chunk_size=chunk_size, max_problems=max_problems)


class Manifest:
    """The rows of one asset list, read once, in order. Iterate it, or take ``chunks()``."""

    def __init__(
        self,
        data: bytes | None,
        source: Source,
        records: Iterator[Record],
        *,
        max_rows: int,
        known_serials: KnownSerials | None,
        chunk_size: int,
        max_problems: int,
    ):
        self.source = source
        self.max_rows = max_rows
        self.known_serials = known_serials
        self.chunk_size = chunk_size
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.problem_count = 0  # all problems, also those past max_problems
        self.rows_read = 0  # device rows seen (blank rows not counted)
        self.rows_accepted = 0
        self.finished = False
        self._data = data
        self._sha256: str | None = None
        self._records = records
        self._started = False
        self.columns = self._find_header()

    # --- what the service reads -------------------------------------------------------------

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the uploaded bytes (hex): the batch's idempotency key. Computed on demand."""
        if self._sha256 is None and self._data is not None:
            self._sha256 = hashlib.sha256(self._data).hexdigest()
        return self._sha256

    @property
    def ok(self) -> bool:
        """True once every row has been read and none had a problem."""
        return self.finished and self.problem_count == 0

    def __iter__(self) -> Iterator[ManifestRow]:
        for chunk in self.chunks():
            for *fields, drives, attributes in chunk:
                listed = tuple((d, None, None, None, None) if type(d) is str else d for d in drives)
                yield ManifestRow(*fields, tuple(d[0] for d in listed), dict(zip(attributes[::2], attributes[1::2])),
                                  listed)

    def chunks(self, size: int | None = None) -> Iterator[list[tuple]]:
        """Accepted rows in lists of up to ``size``; ``known_serials`` is asked once per list.

        Each row is a plain tuple of ManifestRow's fields, its attributes flattened into one
        tuple (header, value, header, value, ...): for the bulk path. Python's cycle collector
        stops tracking a tuple of strings when it first looks at it, and a tuple of such tuples
        at its second look, which for nine rows in ten comes before it would promote them to its
        oldest generation. It never stops tracking a NamedTuple, or a tuple holding a dict. Rows
        promoted while tracked made it collect the whole process twice per 100,000-row list,
        with both the reading thread and the writer stopped. Iterate the
        Manifest for ManifestRows."""
        if self._started:
            raise RuntimeError("a Manifest is read once; call read_manifest() again to re-read")
        self._started = True
        for chunk in self._chunks(size or self.chunk_size):
            yield self._check_known(chunk)
        self.finished = True

    def validate(self) -> list[Problem]:
        """Read to the end without keeping rows (a dry run); returns the problems."""
        for _ in self.chunks():
            pass
        return self.problems

    # --- reading ----------------------------------------------------------------------------

    def _find_header(self) -> ColumnMap:
        # The header is the first non-blank row, unless a title sits above it: then the first
        # row (of the first few) that names a serial column.
        first: list[str] | None = None
        seen = 0
        for number, cells in self._records:
            if not any(c.strip() for c in cells):
                continue
            first = first if first is not None else cells
            named = next((i for i, c in enumerate(cells) if "\x00" in c), None)
            if named is not None:
                raise UnreadableManifest(f"The heading of column {named + 1} (row {number}) holds a NUL character "
                                         "(U+0000), which is not text. Remove it and upload again.")
            columns = map_columns(cells, number)
            if columns is not None:
                return columns
            seen += 1
            if seen >= _HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise UnreadableManifest("The file holds no rows.")
        raise NoSerialColumn(tuple(c.strip() for c in first))

    def _problem(self, row: int, column: str | None, value: str, code: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(row, column, value, message, code))

    def _chunks(self, size: int) -> Iterator[list[tuple]]:
        """Accepted rows, ``size`` at a time. One loop runs once per row of the file, so it is
        written for that: locals instead of attributes (the counters are stored on ``self`` at
        each chunk), the usual value checked inline and only an odd one passed to a method."""
        columns = self.columns
        fields = columns.fields
        serial_at, serial_header = fields["serial"]
        tag_at, tag_header = fields.get("asset_tag", (None, None))
        make_at, make_header = fields.get("manufacturer", (None, None))
        model_at, model_header = fields.get("model", (None, None))
        cat_at, cat_header = fields.get("category", (None, None))
        drives = columns.drive_columns
        fact_columns = columns.drive_fact_columns
        attribute_columns = columns.attribute_columns
        # A phone's IMEI or MEID stays an attribute as written, but a wrong one is a row problem.
        imei_columns = [(i, name) for i, name in attribute_columns if header_key(name) in IMEI_HEADERS]
        width = columns.width
        padding = [""] * width
        max_rows = self.max_rows
        tag_max, make_max, model_max = (_MAX_LENGTH[f] for f in ("asset_tag", "manufacturer", "model"))
        first_seen: dict[str, int] = {}  # upper-cased serial -> row it first appeared on
        category_of: dict[str, str | None] = {}
        problem = self._problem
        separators = _SEPARATOR_CHARS
        read = self.rows_read
        accepted = self.rows_accepted
        chunk: list[tuple] = []

        # A NUL can only come from a file that holds one: only then is every cell looked at for it.
        has_nul = self._data is not None and b"\x00" in self._data
        for number, cells in self._records:
            if not any(cells):
                continue
            if has_nul and any("\x00" in c for c in cells):
                self._nul_problem(number, cells, columns)
                read += 1
                continue
            n = len(cells)
            if n < width:  # a short row (trailing empty cells dropped): pad, then index freely
                cells = cells + padding[n:]
            before = self.problem_count
            serial = cells[serial_at].strip()
            tag = cells[tag_at].strip() if tag_at is not None else ""
            make = cells[make_at].strip() if make_at is not None else ""
            model = cells[model_at].strip() if model_at is not None else ""
            category = cells[cat_at].strip() if cat_at is not None else ""
            attributes = []
            for index, name in attribute_columns:
                value = cells[index].strip()
                if value:
                    if len(value) > MAX_CELL_LENGTH:     # shown by its first 80 characters
                        problem(number, name, value[:80] + "…", "too_long",
                                f"The value is {len(value):,} characters long; at most {MAX_CELL_LENGTH:,} are kept.")
                    attributes += (name, value)
            for index, name in imei_columns:
                value = cells[index].strip()
                reason = imei_problem(value) if value else None
                if reason:
                    problem(number, name, value, "invalid_imei", reason)
            if n > width:  # cells past the last header: kept, named by their column
                for index in range(width, n):
                    value = cells[index].strip()
                    if value:
                        attributes += (f"column {index + 1}", value)
            drive_serials: list[str] = []
            for index, header in drives:
                text = cells[index].strip()
                if not text:
                    continue
                # The usual drive serial: one value, no separator, nothing odd about it.
                if (separators.isdisjoint(text) and len(text) <= MAX_SERIAL_LENGTH and "E+" not in text
                        and "e+" not in text and text.isprintable()):
                    drive_serials.append(text)
                else:
                    drive_serials.extend(self._drive_serials(number, header, text))

            if fact_columns:
                drive_serials = self._drive_facts(cells, fact_columns, drive_serials, attributes)
            if not serial and not (tag or make or model or category or attributes or drive_serials):
                continue  # a row of blanks: spreadsheet padding, not a device
            read += 1
            if read > max_rows:
                self.rows_read = read
                raise TooManyRows(max_rows)

            if not serial:
                problem(number, serial_header, "", "missing_serial",
                        "The serial number is missing. Every device needs its serial to be received.")
            # The usual serial passes the cheap tests inline; only an odd one pays for a call.
            elif (len(serial) <= MAX_SERIAL_LENGTH and serial.isprintable() and "E+" not in serial
                  and "e+" not in serial) or self._check_serial(number, serial_header, serial):
                earlier = first_seen.setdefault(serial.upper(), number)
                if earlier != number:
                    problem(number, serial_header, serial, "duplicate_serial",
                            f"Serial {serial} appears twice in the file: also on row {earlier}. "
                            "List each device once.")
            if len(tag) > tag_max:
                self._too_long(number, tag_header, tag, tag_max)
            if len(make) > make_max:
                self._too_long(number, make_header, make, make_max)
            if len(model) > model_max:
                self._too_long(number, model_header, model, model_max)
            canonical = None
            if category:
                canonical = category_of.get(category, _UNSEEN)
                if canonical is _UNSEEN:
                    canonical = canonical_category(category)
                    if len(category_of) < 10_000:  # a list has a handful; a hostile one, no end
                        category_of[category] = canonical
                if canonical is None:
                    self._unknown_category(number, cat_header, category)
            if self.problem_count != before:
                continue
            accepted += 1
            chunk.append((number, serial, tag or None, make or None, model or None, canonical,
                          tuple(drive_serials), tuple(attributes)))  # see chunks()
            if len(chunk) >= size:
                self.rows_read, self.rows_accepted = read, accepted
                yield chunk
                accepted = self.rows_accepted  # the consumer may have refused rows of the chunk
                chunk = []
        self.rows_read, self.rows_accepted = read, accepted
        if chunk:
            yield chunk

    # --- checks -----------------------------------------------------------------------------

    def _check_serial(self, row: int, column: str, serial: str) -> bool:
        """Report what is wrong with one serial; True when nothing is."""
        if ("E+" in serial or "e+" in serial) and _SCIENTIFIC.fullmatch(serial):
            self._problem(row, column, serial, "scientific_notation",
                          f"Serial {serial} is a number Excel turned into scientific notation: "
                          "its digits were lost. Format the column as Text in the original "
                          "spreadsheet, type or paste the serials again, and re-export.")
        elif not serial.isprintable():
            bad = next(ch for ch in serial if not ch.isprintable())
            self._problem(row, column, serial, "control_character",
                          f"The serial holds an invisible control character (U+{ord(bad):04X}). "
                          "Remove it and upload again.")
        elif len(serial) > MAX_SERIAL_LENGTH:
            self._too_long(row, column, serial, MAX_SERIAL_LENGTH)
        else:
            return True
        return False

    def _too_long(self, row: int, column: str | None, value: str, limit: int) -> None:
        self._problem(row, column, value, "too_long",
                      f"The value is {len(value)} characters long; at most {limit} are allowed.")

    def _drive_serials(self, row: int, column: str, text: str) -> list[str]:
        text = text.strip()
        if _SEPARATOR_CHARS.isdisjoint(text):
            parts = [text] if text else []
        else:
            parts = [p for p in _DRIVE_SEPARATORS.split(text) if p]
        for part in parts:  # the usual serial passes inline, as in _chunks
            if len(part) > MAX_SERIAL_LENGTH or "E+" in part or "e+" in part or not part.isprintable():
                self._check_serial(row, column, part)
        return parts

    @staticmethod
    def _drive_facts(cells: list[str], columns: tuple, serials: list[str], attributes: list) -> list:
        """The row's drives with the facts its columns give: a serial alone stays a string (the usual row);
        a drive the list describes becomes (serial, type, make, model, capacity). A fact no drive of the row
        can take (no drive serial listed, a drive number past the listed drives, the row's capacity when it
        lists several drives) or that says nothing readable ("512" with no unit, "Tape") stays an attribute
        under its header, as written."""
        facts: dict[int, dict[str, Any]] = {}
        for index, header, number, fact, unit in columns:
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue
            read = _read_fact(fact, value, unit)
            targets = ([number - 1] if number else
                       list(range(len(serials))) if set(read) == {"type"} else [0] if len(serials) == 1 else [])
            if not read or not targets or targets[-1] >= len(serials):
                attributes += (header, value)
                continue
            for target in targets:
                slot = facts.setdefault(target, {})
                for name, got in read.items():
                    slot.setdefault(name, got)
        if not facts:
            return serials
        return [(serial, f.get("type"), f.get("make"), f.get("model"), f.get("capacity")) if (f := facts.get(i))
                else serial for i, serial in enumerate(serials)]

    def _nul_problem(self, row: int, cells: list[str], columns: ColumnMap) -> None:
        index = next(i for i, c in enumerate(cells) if "\x00" in c)
        header = columns.headers[index] if index < len(columns.headers) else f"column {index + 1}"
        self._problem(row, header, cells[index].replace("\x00", "\\0"), "control_character",
                      "The value holds a NUL character (U+0000), which is not text. Remove it and upload again.")

    def _unknown_category(self, row: int, column: str | None, category: str) -> None:
        if len(self.problems) >= self.max_problems:  # a suggestion costs a fuzzy search: skip it
            self.problem_count += 1
            return
        guess = closest_category(category)
        hint = f"Did you mean '{guess}'?" if guess else f"Use one of: {', '.join(CATEGORIES)}."
        self._problem(row, column, category, "unknown_category", f"Unknown category '{category}'. {hint}")

    def _check_known(self, chunk: list[tuple]) -> list[tuple]:
        if self.known_serials is None:
            return chunk
        known = self.known_serials([row[1] for row in chunk])  # row[1]: the serial
        if not known:
            return chunk
        kept = []
        for row in chunk:
            number, serial = row[:2]
            reference = known.get(serial)
            if reference is None:
                kept.append(row)
                continue
            self.serial_in_open_batch(number, serial, reference)
        return kept

    def serial_in_open_batch(self, row: int, serial: str, reference: str) -> None:
        """Refuse an accepted row whose serial another open batch of the client holds: from the
        ``known_serials`` hook, or from a caller that checks every row at once after reading."""
        self.rows_accepted -= 1
        self._problem(row, self.columns.header_of("serial"), serial, "serial_in_open_batch",
                      f"Serial {serial} is already registered in open batch {reference}. "
                      "Remove it from this list, or close that batch first.")
