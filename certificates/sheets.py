"""The per-medium record pages of a batch certificate, drawn straight into
PDF content streams (see pdfdraw for why), with the same look as the HTML
pages around them: page header and footer in the margins, a bold column
header over a navy rule, one row per medium, devices shaded alternately so
a device's media read as one group.

A value wider than its column wraps onto more lines of its row (at spaces, or
inside a serial or asset tag that has none): a certificate never cuts a value
short. Rows are therefore of different heights, so the pages are laid out
first (`layout`: which rows go on which page, hence the page count the cover
and every footer print) and then drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from . import columns
from .data import MediumLine
from .pdfdraw import A4_LANDSCAPE, MM, Canvas, PdfFile, embed_fonts, font, pdf_string

ROWS_PER_SHEET = 50     # rows of one line each that a page holds
PAGE_W, PAGE_H = A4_LANDSCAPE
LEFT, RIGHT, TOP, BOTTOM = 10 * MM, 10 * MM, 13 * MM, 13 * MM
ROW_H = 3.35 * MM
LINE_H = 2.75 * MM      # each further line of a wrapped row
PAGE_ROWS_H = ROWS_PER_SHEET * ROW_H
HEAD_H = 4.6 * MM
ROW_SIZE = 6.4
PAD = 0.8 * MM
NAVY, GREY, INK, SHADE = "#1a365d", "#4a5568", "#1a202c", "#edf2f7"


@dataclass(frozen=True)
class SheetText:
    """What the margins of every record page say."""

    head_left: str
    client_batch: str  # "Client · batch REF", followed by the record range
    foot_left: str


@lru_cache(maxsize=1)
def _widths() -> tuple[float, ...]:
    return tuple(c.width_mm * MM for c in columns.COLUMNS)


def _wrap_row(values: list[str], bold: bool, memo: dict | None = None) -> list[list[str]]:
    """Each cell's lines in its column. `memo` remembers wrapped values: most columns (model, method,
    tool, people, destination) repeat row after row."""
    f = font(bold)
    gap = columns.COLUMN_GAP_MM * MM
    memo = {} if memo is None else memo
    out = []
    for k, (v, w) in enumerate(zip(values, _widths())):
        lines = memo.get((k, v))
        if lines is None:
            lines = memo[(k, v)] = f.wrap(v, w - gap, ROW_SIZE)
        out.append(lines)
    return out


@dataclass(frozen=True)
class Layout:
    """The record pages: each page's rows as (first, end) indexes into the lines, and every row's cells."""

    pages: list[tuple[int, int]]
    rows: list[list[list[str]]]


def layout(lines: Sequence[MediumLine]) -> Layout:
    values = [c.value for c in columns.COLUMNS]
    memo: dict = {}
    rows = [_wrap_row([v(line) for v in values], False, memo) for line in lines]
    pages, start, used = [], 0, 0.0
    for k, cells in enumerate(rows):
        height = _height(cells)
        if used + height > PAGE_ROWS_H + 0.01 and k > start:
            pages.append((start, k))
            start, used = k, 0.0
        used += height
    if start < len(rows):
        pages.append((start, len(rows)))
    return Layout(pages, rows)


def _height(cells: list[list[str]]) -> float:
    return ROW_H + (max(map(len, cells)) - 1) * LINE_H


def draw_sheets(lines: Sequence[MediumLine], plan: Layout, first_page: int, total_pages: int,
                text: SheetText) -> tuple[list[bytes], set[str]]:
    """Content streams of the record pages, and the characters drawn (for the font subset)."""
    streams: list[bytes] = []
    chars: set[str] = set()
    header = [(lines_[0], w) for lines_, w in zip(_wrap_row([c.title for c in columns.COLUMNS], bold=True),
                                                  _widths())]
    width = PAGE_W - LEFT - RIGHT
    shade, previous = False, None
    for number, (first, end) in enumerate(plan.pages):
        c = Canvas(PAGE_W, PAGE_H)
        _margins(c, text.head_left,
                 f"{text.client_batch} · media records {first + 1:,}–{end:,} of {len(lines):,}",
                 text.foot_left, f"Page {first_page + number} of {total_pages}")
        y = TOP
        c.cells(LEFT + PAD, y + HEAD_H - 1.3 * MM, header, ROW_SIZE, INK, bold=True)
        y += HEAD_H
        c.rule(LEFT, y, LEFT + width, y, 0.8, NAVY)
        y += 0.6 * MM + 0.4
        rows = []
        for k in range(first, end):
            if previous is not None and lines[k].device_serial != previous:
                shade = not shade
            previous = lines[k].device_serial
            rows.append((shade, plan.rows[k], _height(plan.rows[k])))
        top = y
        for shaded, _, height in rows:
            if shaded:
                c.box(LEFT, top, width, height, SHADE)
            top += height
        top = y
        for _, cells, height in rows:
            for n in range(max(map(len, cells))):
                c.cells(LEFT + PAD, top + ROW_H - 1.0 * MM + n * LINE_H,
                        [(cell[n] if n < len(cell) else "", w) for cell, w in zip(cells, _widths())],
                        ROW_SIZE, INK)
            top += height
        streams.append(c.content())
        chars |= c.chars
    return streams, chars


def _margins(c: Canvas, head_left: str, head_right: str, foot_left: str, foot_right: str) -> None:
    """Running header and footer, placed like the CSS @page margin boxes."""
    head_y = TOP - 2 * MM - 1.5
    foot_y = PAGE_H - BOTTOM + 2 * MM + 6.5
    c.text(LEFT, head_y, head_left, 7, GREY)
    c.text(PAGE_W - RIGHT, head_y, head_right, 7, GREY, align="right")
    c.text(LEFT, foot_y, foot_left, 6.5, GREY)
    c.text(PAGE_W - RIGHT, foot_y, foot_right, 6.5, GREY, align="right")


def sheets_pdf(streams: Sequence[bytes], chars: set[str], info: dict[str, str]) -> bytes:
    """A PDF of the record pages, sharing one font subset and one resource
    dictionary."""
    pdf = PdfFile()
    catalog, pages = pdf.reserve(), pdf.reserve()
    fonts = embed_fonts(pdf, chars)
    resources = pdf.put(b"<< /Font %s >>" % fonts)
    kids = []
    for stream in streams:
        content = pdf.stream(stream)
        kids.append(pdf.put(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources %d 0 R"
            b" /Contents %d 0 R >>" % (pages, PAGE_W, PAGE_H, resources, content)))
    pdf.put(b"<< /Type /Pages /Kids [%s] /Count %d >>"
            % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)), pages)
    pdf.put(b"<< /Type /Catalog /Pages %d 0 R >>" % pages, catalog)
    info_num = pdf.put(b"<< %s >>" % b" ".join(
        k.encode() + b" " + pdf_string(v) for k, v in info.items()))
    return pdf.output(catalog, info_num)
