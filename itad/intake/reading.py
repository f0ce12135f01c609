"""From the bytes of an uploaded asset list to records: (row number, list of cell texts).

Row numbers are the ones the client sees in their spreadsheet: the first line is row 1, a blank
line still takes a row number, and a quoted CSV cell spanning several lines is still one row.
Everything streams: the CSV is decoded and split as it is read, the first XLSX sheet is walked
by openpyxl's read-only mode, so memory does not grow with the number of rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from itad.intake.errors import TooBig, UnreadableManifest

Record = tuple[int, list[str]]

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # OLE2: Excel 97-2003
_SAMPLE_BYTES = 64 * 1024
# Reading limits: what an asset list may unpack to, and how wide a row may be (a sheet naming a cell at column
# 10^12 would otherwise have every row padded to it). Past either, the list is refused whole, the limit named.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_COLUMNS = 1_000
# Bytes Windows-1252 leaves undefined: a file holding them was not written as Windows-1252.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")
_DELIMITERS = ("\t", ";", ",")  # on a tie, the earlier one wins: commas turn up inside text


@dataclass(frozen=True)
class Source:
    """How the file was read, to tell the client (and us) when something looks odd."""

    format: str  # "csv", "xlsx" or "json"
    encoding: str | None = None
    delimiter: str | None = None


def open_records(data: bytes) -> tuple[Source, Iterator[Record]]:
    """Recognise the format by content (never by file name) and start reading records."""
    # (strip() would copy a large file; one that is all blanks is refused later, as having no rows.)
    if not data or (len(data) < 4096 and not data.strip()):
        raise UnreadableManifest("The file is empty.")
    if data.startswith(_XLSX_MAGIC):
        return Source("xlsx"), _xlsx_records(data)
    if data.startswith(_XLS_MAGIC):
        raise UnreadableManifest(
            "This is an old Excel 97-2003 (.xls) file. Save it as .xlsx or CSV and upload again."
        )
    encoding = detect_encoding(data)
    sample = data[:_SAMPLE_BYTES].decode(encoding, errors="ignore")
    if sample.lstrip("\ufeff \t\r\n").startswith("["):
        return Source("json", encoding), _json_file_records(data, encoding)
    delimiter = sniff_delimiter(sample)
    return Source("csv", encoding, delimiter), _csv_records(data, encoding, delimiter)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text"), else a single-byte encoding.

    The single-byte fallback never fails, so every byte keeps a meaning: Windows-1252 for files
    from Windows, MacRoman for files from classic Mac Excel, which betray themselves by CR-only
    line ends or by bytes Windows-1252 does not define (Snipe-IT's assets-sample-BAD.csv has both).
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:1024]
    if head.count(0) * 4 >= len(head):  # UTF-16 without BOM: every other byte of ASCII is NUL
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        if len(data) % 2 == 0 and _decodes(data, encoding):
            return encoding
    if 0 in head:
        # Text in any encoding we read has no NUL bytes: this is an image, a PDF, an archive...
        raise UnreadableManifest("The file is not a CSV, XLSX or JSON asset list (it holds binary data).")
    if data.isascii() or _is_utf8(data):
        return "utf-8"
    if (b"\n" not in data and b"\r" in data) or not _CP1252_HOLES.isdisjoint(data):
        return "mac_roman"
    return "cp1252"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.decode(data[: 1 << 20], encoding)
    except UnicodeDecodeError as exc:
        # A cut at the 1 MiB sample boundary is fine; a bad sequence inside it is not.
        return exc.start >= (1 << 20) - 4
    return True


def _is_utf8(data: bytes) -> bool:
    # Decoded in slices and thrown away, so checking a large file costs no extra copy of it.
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(sample: str) -> str:
    """Count tabs, semicolons and commas outside quotes in the first line that has any.

    csv.Sniffer guesses from letter frequencies across lines and is easily fooled by a comma
    inside a model name; the header line is the one line whose shape we can trust.
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in sample:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in counts:
            counts[ch] += 1
        elif ch == "\n" or ch == "\r":
            if any(counts.values()):
                break  # a title line above the header has none; keep looking past it
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_records(data: bytes, encoding: str, delimiter: str) -> Iterator[Record]:
    # newline="" hands CR, LF and CRLF line ends to the csv module untouched; it splits on all
    # three and keeps line breaks inside quoted cells.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(stream, delimiter=delimiter), 1):
            if len(cells) > MAX_COLUMNS:
                raise _too_wide(number)
            yield number, cells
    except csv.Error as exc:
        raise UnreadableManifest(f"Row {number + 1} cannot be read as CSV: {exc}.") from None
    except UnicodeDecodeError:
        raise UnreadableManifest(
            f"Row {number + 1} is not valid {encoding} text. Save the list as CSV UTF-8 or XLSX and upload again."
        ) from None


def _unpacked_size(data: bytes) -> int:
    """What the workbook's zip says its parts unpack to (a zip bomb says so before it is opened)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableManifest(f"The file is a zip archive but not a readable XLSX workbook ({exc}).") from None


def _xlsx_records(data: bytes) -> Iterator[Record]:
    """The first sheet's rows, through openpyxl's read-only mode (it streams the sheet)."""
    import openpyxl  # only XLSX uploads pay for the import
    from defusedxml import DefusedXmlException
    from openpyxl.utils.exceptions import InvalidFileException

    unpacked = _unpacked_size(data)
    if unpacked > MAX_UNPACKED_BYTES:
        raise TooBig(f"The workbook unpacks to {unpacked:,} bytes; at most {MAX_UNPACKED_BYTES:,} are read. "
                     "Save only the asset list's sheet, or a CSV, and upload again.",
                     limit="unpacked_bytes", value=unpacked, maximum=MAX_UNPACKED_BYTES)
    try:
        # openpyxl parses through defusedxml when it is installed (it is): no entity expansion, no DTD.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, DefusedXmlException) as exc:
        raise UnreadableManifest(f"The file is a zip archive but not a readable XLSX workbook ({exc}).") from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only sheets yield an empty tuple for every missing row, so counting from 1 gives
        # the row numbers Excel shows. No row is read wider than the limit (and one that reaches it is refused).
        # A row is as wide as its last cell, and openpyxl refuses a reference past column ZZZ (18,278): a far-away
        # cell costs at most that many, and a row wider than the limit is refused, never cut.
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [v if type(v) is str else cell_text(v) for v in values]
            if len(cells) > MAX_COLUMNS:
                if any(cells[MAX_COLUMNS:]):
                    raise _too_wide(number)
                cells = cells[:MAX_COLUMNS]     # empty cells past the limit: spreadsheet padding
            yield number, cells
    except (ValueError, IndexError, KeyError, SyntaxError, DefusedXmlException) as exc:   # the sheet's XML is damaged
        raise UnreadableManifest(f"The first sheet of the workbook cannot be read ({exc}).") from None
    finally:
        workbook.close()


def _too_wide(number: int) -> TooBig:
    return TooBig(f"Row {number} has more than {MAX_COLUMNS:,} columns, the most a list is read with. Remove the "
                  "columns past the asset list's own and upload again.", limit="columns", value=MAX_COLUMNS + 1,
                  maximum=MAX_COLUMNS)


def cell_text(value: Any, *, excel: bool = True) -> str:
    """A cell as the client would read it. Whole numbers past 15 digits are shown the way Excel
    shows them ("6.37702E+15"), because Excel has already lost the digits after the 15th."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if excel and abs(value) >= 10**15:
            return format(float(value), ".6G")
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)) if abs(value) < 1e15 else format(value, ".6G")
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(cell_text(v, excel=excel) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_file_records(data: bytes, encoding: str) -> Iterator[Record]:
    try:
        items = json.loads(data.decode(encoding))
    except ValueError as exc:
        raise UnreadableManifest(f"The file starts like JSON but is not valid JSON: {exc}.") from None
    if not isinstance(items, list):
        raise UnreadableManifest("A JSON asset list must be a list of objects, one per device.")
    return json_records(items)


def json_records(items: Iterable[Mapping[str, Any]]) -> Iterator[Record]:
    """Objects as records: a header record (row 0) of every key in first-seen order, then one
    record per object, numbered from 1 by its position in the list."""
    if not isinstance(items, list):
        items = list(items)
    keys: dict[str, int] = {}
    for position, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise UnreadableManifest(f"Item {position} of the list is not an object.")
        for key in item:
            keys.setdefault(str(key), len(keys))
    yield 0, list(keys)
    width = len(keys)
    for position, item in enumerate(items, 1):
        cells = [""] * width
        for key, value in item.items():
            cells[keys[str(key)]] = cell_text(value, excel=False)
        yield position, cells
