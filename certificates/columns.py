"""The per-medium table, laid out as tab-aligned lines instead of HTML cells.

WHY: WeasyPrint spends about a millisecond on every table cell (box
construction, line breaking, borders); a 10,000-device batch has ~15,000
lines x 15 columns, i.e. minutes of layout. One text line per medium, with
columns placed by tab stops on a fine grid, costs WeasyPrint one box per line
and makes the same batch render about 20 times faster.

To place a column, we measure the text already on the line with the font's
own advance widths (fontTools, kerning and ligatures switched off in the CSS
so the measurement matches Pango) and add as many tabs as it takes to reach
the column's start. Text that would not fit its column is cut with an
ellipsis; the JSON certificate keeps the full values.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .data import MediumLine

FONT_FAMILY = "DejaVu Sans"
FONT_SIZE_PT = 6.4
# Tab stops every 2 CSS px; the CSS sets `tab-size: 2px`. WeasyPrint hands
# Pango the tab size as a whole number of px whatever the unit, hence px.
TAB_GRID_MM = 2 * 25.4 / 96
# Space kept free at the right of every column so text never touches the next.
COLUMN_GAP_MM = 1.4
PT_TO_MM = 25.4 / 72
FALLBACK_FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


def _font_path(bold: bool) -> str:
    """The file fontconfig (and so WeasyPrint) picks for the family."""
    if shutil.which("fc-match"):
        pattern = FONT_FAMILY + (":bold" if bold else "")
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True
        ).stdout.strip()
        if out:
            return out
    return FALLBACK_FONTS[bold]


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance width in em for every code point the font maps."""
    from fontTools.ttLib import TTFont

    font = TTFont(_font_path(bold), lazy=True)
    upem = font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    widths = {cp: hmtx[name][0] / upem for cp, name in font.getBestCmap().items()}
    # Pango falls back to another font for unmapped characters; assume a wide glyph.
    return widths, 1.0


def text_width_mm(text: str, bold: bool = False, size_pt: float = FONT_SIZE_PT) -> float:
    widths, missing = _advances(bold)
    em = sum(widths.get(ord(ch), missing) for ch in text)
    return em * size_pt * PT_TO_MM


def fit(text: str, width_mm: float, bold: bool = False) -> tuple[str, float]:
    """The text cut to width_mm (with an ellipsis when cut) and its width."""
    text = " ".join(text.split())  # tabs or newlines in data must not move columns
    w = text_width_mm(text, bold)
    if w <= width_mm:
        return text, w
    ell = text_width_mm("…", bold)
    while text and w + ell > width_mm:
        w -= text_width_mm(text[-1], bold)
        text = text[:-1]
    text = text.rstrip() + "…"
    return text, text_width_mm(text, bold)


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: float
    value: Callable[[MediumLine], str]


def _when(line: MediumLine) -> str:
    return line.performed_at.strftime("%Y-%m-%d %H:%M") if line.performed_at else ""


def _verification(line: MediumLine) -> str:
    if line.verification == "none":
        return "none"
    return f"{line.verification} · {line.verified_by}" if line.verified_by else line.verification


# A4 landscape with 10 mm side margins leaves 277 mm; these add up to 276.
COLUMNS: tuple[Column, ...] = (
    Column("Device serial", 23, lambda l: l.device_serial),
    Column("Asset tag", 15, lambda l: l.asset_tag),
    Column("Make / model", 29, lambda l: f"{l.make} {l.model}".strip()),
    Column("Category", 14, lambda l: l.category),
    Column("Media", 10, lambda l: l.media_type),
    Column("Medium serial", 23, lambda l: l.medium_serial),
    Column("Method", 11, lambda l: l.method_type or "n/a"),
    Column("Technique", 19, lambda l: l.technique),
    Column("Tool", 22, lambda l: f"{l.tool} {l.tool_version}".strip()),
    Column("Verification", 22, _verification),
    Column("Performed by", 19, lambda l: l.performed_by),
    Column("Performed at", 20, _when),
    Column("Destination", 17, lambda l: l.destination),
    Column("Outcome", 14, lambda l: l.outcome.replace("_", " ")),
    Column("Notes", 18, lambda l: l.notes),
)


def tabbed(cells: list[str], bold: bool = False, columns=COLUMNS) -> str:
    """One line of text whose cells start at the columns' left edges."""
    grid = TAB_GRID_MM
    out: list[str] = []
    start = 0.0
    x = 0.0  # where the pen is after the text written so far
    for column, cell in zip(columns, cells):
        if out:
            # A tab moves to the next stop strictly right of the pen.
            tabs = round(start / grid) - int(x / grid + 1e-9)
            out.append("\t" * max(tabs, 1))
            x = start
        text, w = fit(cell, column.width_mm - COLUMN_GAP_MM, bold)
        out.append(text)
        x += w
        start += column.width_mm
    return "".join(out)


def header_line(columns=COLUMNS) -> str:
    return tabbed([c.title for c in columns], bold=True, columns=columns)


def medium_line(line: MediumLine, columns=COLUMNS) -> str:
    return tabbed([c.value(line) for c in columns], columns=columns)
