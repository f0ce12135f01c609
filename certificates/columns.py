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
# Tab stops every TAB_PX CSS px; the CSS sets the same `tab-size`. WeasyPrint
# hands Pango the tab size as a whole number of px whatever the unit, hence px.
# Coarse on purpose: every tab is a glyph WeasyPrint writes out, and with a
# fine grid the tabs outnumbered the letters three to one. Columns therefore
# start on multiples of the grid.
TAB_PX = 12
TAB_GRID_MM = TAB_PX * 25.4 / 96
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
    Column("Device serial", 22, lambda l: l.device_serial),
    Column("Asset tag", 15, lambda l: l.asset_tag),
    Column("Make / model", 27, lambda l: f"{l.make} {l.model}".strip()),
    Column("Category", 14, lambda l: l.category),
    Column("Media", 10, lambda l: l.media_type),
    Column("Medium serial", 22, lambda l: l.medium_serial),
    Column("Method", 13, lambda l: l.method_type or "n/a"),
    Column("Technique", 18, lambda l: l.technique),
    Column("Tool", 21, lambda l: f"{l.tool} {l.tool_version}".strip()),
    Column("Verification", 21, _verification),
    Column("Performed by", 19, lambda l: l.performed_by),
    Column("Performed at", 22, _when),
    Column("Destination", 20, lambda l: l.destination),
    Column("Outcome", 16, lambda l: l.outcome.replace("_", " ")),
    Column("Notes", 16, lambda l: l.notes),
)


def tabbed(cells: list[str], bold: bool = False, columns=COLUMNS) -> str:
    """One line of text whose cells start at the columns' left edges."""
    grid = TAB_GRID_MM
    stops = _stops(columns)
    out: list[str] = []
    x = 0.0  # where the pen is after the text written so far
    for k, cell in enumerate(cells):
        if k:
            # A tab moves to the next stop strictly right of the pen.
            tabs = stops[k] - int(x / grid + 1e-9)
            out.append("\t" * max(tabs, 1))
            x = stops[k] * grid
        text, w = fit(cell, (stops[k + 1] - stops[k]) * grid - COLUMN_GAP_MM, bold)
        out.append(text)
        x += w
    return "".join(out)


@lru_cache(maxsize=4)
def _stops(columns: tuple[Column, ...]) -> tuple[int, ...]:
    """Each column's start (and the last one's end) in tab stops."""
    stops, total = [0], 0.0
    for column in columns:
        total += column.width_mm
        stops.append(round(total / TAB_GRID_MM))
    return tuple(stops)


def header_line(columns=COLUMNS) -> str:
    return tabbed([c.title for c in columns], bold=True, columns=columns)


def medium_line(line: MediumLine, columns=COLUMNS) -> str:
    return tabbed([c.value(line) for c in columns], columns=columns)
