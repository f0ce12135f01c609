"""The per-medium record pages of a batch certificate, drawn straight into
PDF content streams (see pdfdraw for why), with the same look as the HTML
pages around them: page header and footer in the margins, a bold column
header over a navy rule, one line per medium, devices shaded alternately so
a device's media read as one group.

Pages are drawn in chunks, so a process pool can draw a large batch in
parallel; the chunks' streams are then written into one PDF with one shared
font subset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from . import columns
from .data import MediumLine
from .pdfdraw import A4_LANDSCAPE, MM, Canvas, PdfFile, embed_fonts, font, pdf_string

ROWS_PER_SHEET = 50
PAGE_W, PAGE_H = A4_LANDSCAPE
LEFT, RIGHT, TOP, BOTTOM = 10 * MM, 10 * MM, 13 * MM, 13 * MM
ROW_H = 3.35 * MM
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


def _fit_row(values: list[str], bold: bool, memo: dict | None = None) -> list[tuple[str, float]]:
    """The cells cut to their columns. `memo` remembers cut values: most
    columns (model, method, tool, people, destination) repeat line after line."""
    f = font(bold)
    gap = columns.COLUMN_GAP_MM * MM
    memo = {} if memo is None else memo
    out = []
    for k, (v, w) in enumerate(zip(values, _widths())):
        cut = memo.get((k, v))
        if cut is None:
            cut = memo[(k, v)] = f.fit(v, w - gap, ROW_SIZE)
        out.append((cut, w))
    return out


def draw_sheets(
    lines: Sequence[MediumLine], first_line: int, first_shade: bool, first_page: int,
    total_pages: int, total_lines: int, text: SheetText,
) -> tuple[list[bytes], set[str]]:
    """Content streams of the pages holding `lines` (ROWS_PER_SHEET a page),
    and the characters drawn (for the font subset)."""
    streams: list[bytes] = []
    chars: set[str] = set()
    header = _fit_row([c.title for c in columns.COLUMNS], bold=True)
    values = [c.value for c in columns.COLUMNS]
    width = PAGE_W - LEFT - RIGHT
    shade = first_shade
    previous = None
    memo: dict = {}
    for start in range(0, len(lines), ROWS_PER_SHEET):
        page_lines = lines[start:start + ROWS_PER_SHEET]
        c = Canvas(PAGE_W, PAGE_H)
        first = first_line + start + 1
        last = first_line + start + len(page_lines)
        page = first_page + start // ROWS_PER_SHEET
        _margins(c, text.head_left,
                 f"{text.client_batch} · media records {first:,}–{last:,} of {total_lines:,}",
                 text.foot_left, f"Page {page} of {total_pages}")
        y = TOP
        c.cells(LEFT + PAD, y + HEAD_H - 1.3 * MM, header, ROW_SIZE, INK, bold=True)
        y += HEAD_H
        c.rule(LEFT, y, LEFT + width, y, 0.8, NAVY)
        y += 0.6 * MM + 0.4
        rows = []
        for line in page_lines:
            if previous is not None and line.device_serial != previous:
                shade = not shade
            previous = line.device_serial
            rows.append((shade, _fit_row([v(line) for v in values], False, memo)))
        for k, (shaded, _) in enumerate(rows):
            if shaded:
                c.box(LEFT, y + k * ROW_H, width, ROW_H, SHADE)
        for k, (_, cells) in enumerate(rows):
            c.cells(LEFT + PAD, y + k * ROW_H + ROW_H - 1.0 * MM, cells, ROW_SIZE, INK)
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
