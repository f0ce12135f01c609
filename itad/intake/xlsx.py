"""A lean reader for the first sheet of an XLSX workbook: cell texts row by row.

openpyxl's read-only mode builds a Python object per cell and reads ~3,000-7,000 rows a second
here, so a 100,000-row list took 15-30 s. This reader walks the sheet XML with the C parser of
the standard library and keeps only what intake needs: shared strings, inline strings, numbers,
booleans and dates (told apart by the cell's number format, as Excel does). Anything it does
not recognise in the workbook's structure raises NotLean, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _C, _V, _T, _IS, _RPH = (_MAIN + t for t in ("row", "c", "v", "t", "is", "rPh"))
_SHEET_DATA = _MAIN + "sheetData"


class NotLean(Exception):
    """The workbook is laid out in a way this reader does not handle; use openpyxl."""


def first_sheet_rows(data: bytes, cell_text) -> Iterator[tuple[int, list[str]]]:
    """(row number as Excel shows it, cell texts) for every non-empty row of the first sheet."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        sheet_path, strings_path, styles_path, epoch = _workbook_parts(archive)
        shared = _shared_strings(archive, strings_path) if strings_path else []
        dates = _date_styles(archive, styles_path) if styles_path else frozenset()
        if sheet_path not in archive.NameToInfo:
            raise KeyError(sheet_path)
    except (KeyError, ValueError, IndexError, AttributeError, SyntaxError) as exc:
        archive.close()
        raise NotLean(f"{type(exc).__name__}: {exc}") from None
    return _rows(archive, sheet_path, shared, dates, epoch, cell_text)


def _workbook_parts(archive: zipfile.ZipFile):
    workbook = _parse(archive, "xl/workbook.xml")
    if workbook.tag != _MAIN + "workbook":
        raise NotLean("not a transitional SpreadsheetML workbook")
    pr = workbook.find(_MAIN + "workbookPr")
    epoch = CALENDAR_WINDOWS_1900
    if pr is not None and pr.get("date1904") in ("1", "true"):
        epoch = CALENDAR_MAC_1904
    first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    rels = {
        rel.get("Id"): (rel.get("Type", "").rsplit("/", 1)[-1], _target(rel.get("Target", "")))
        for rel in _parse(archive, "xl/_rels/workbook.xml.rels").iter(_PKG_REL + "Relationship")
    }
    kind, sheet_path = rels[first.get(_REL + "id")]
    if kind != "worksheet":
        raise NotLean(f"the first sheet is a {kind}")
    by_kind = {kind: path for kind, path in rels.values()}
    return sheet_path, by_kind.get("sharedStrings"), by_kind.get("styles"), epoch


def _target(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)


def _parse(archive: zipfile.ZipFile, name: str):
    from xml.etree.ElementTree import parse

    with archive.open(name) as stream:
        return parse(stream).getroot()


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    strings: list[str] = []
    with archive.open(path) as stream:
        for _, elem in iterparse(stream):
            if elem.tag == _MAIN + "si":
                # Rich text is several runs; phonetic guides (rPh) are not part of the text.
                for ph in elem.findall(_RPH):
                    elem.remove(ph)
                strings.append("".join(t.text or "" for t in elem.iter(_T)))
                elem.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str) -> frozenset[int]:
    styles = _parse(archive, path)
    custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iter(_MAIN + "numFmt")}
    xfs = styles.find(_MAIN + "cellXfs")
    dated = set()
    for index, xf in enumerate(xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId", "0"))
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
        if is_date_format(code):
            dated.add(index)
    return frozenset(dated)


def _column(ref: str) -> int:
    index = 0
    for ch in ref:
        if ch.isdigit():
            break
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _rows(archive, sheet_path, shared, dates, epoch, cell_text) -> Iterator[tuple[int, list[str]]]:
    try:
        with archive.open(sheet_path) as stream:
            sheet_data = None
            number = 0
            for event, elem in iterparse(stream, events=("start", "end")):
                if event == "start":
                    if elem.tag == _SHEET_DATA:
                        sheet_data = elem
                    continue
                if elem.tag != _ROW:
                    continue
                r = elem.get("r")
                number = int(r) if r else number + 1
                cells: list[str] = []
                for c in elem:
                    ref = c.get("r")
                    at = _column(ref) if ref else len(cells)
                    if at > len(cells):
                        cells.extend([""] * (at - len(cells)))
                    kind = c.get("t")
                    v = c.find(_V)
                    text = v.text if v is not None and v.text is not None else ""
                    if kind == "s":
                        value = shared[int(text)] if text else ""
                    elif kind is None or kind == "n":
                        if not text:
                            value = ""
                        elif int(c.get("s", "0")) in dates:
                            value = cell_text(from_excel(float(text), epoch))
                        elif "." in text or "E" in text or "e" in text:
                            value = cell_text(float(text))
                        else:
                            value = cell_text(int(text))
                    elif kind == "inlineStr":
                        inline = c.find(_IS)
                        value = "".join(t.text or "" for t in inline.iter(_T)) if inline is not None else ""
                    elif kind == "b":
                        value = "TRUE" if text == "1" else "FALSE"
                    else:  # "str" (a formula's text), "e" (#N/A...), "d" (ISO date)
                        value = text
                    cells.append(value)
                if sheet_data is not None:
                    sheet_data.clear()  # rows already read are let go: memory stays flat
                yield number, cells
    finally:
        archive.close()
