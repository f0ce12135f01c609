"""The per-medium table's columns: title, width and value of each.

The record pages are drawn from these (sheets.py); a value wider than its
column wraps within its row, never cut.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable

from .data import MediumLine

FONT_FAMILY = "DejaVu Sans"
FONT_SIZE_PT = 6.4
# Space kept free at the right of every column so text never touches the next.
COLUMN_GAP_MM = 1.4
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


@dataclass(frozen=True)
class Column:
    title: str
    width_mm: float
    value: Callable[[MediumLine], str]


def _when(line: MediumLine) -> str:
    return line.performed_at.strftime("%Y-%m-%d %H:%M") if line.performed_at else ""


# A4 landscape with 10 mm side margins leaves 277 mm; these add up to 276.
COLUMNS: tuple[Column, ...] = (
    Column("Device serial", 22, lambda l: l.device_serial),
    Column("Asset tag", 15, lambda l: l.asset_tag),
    Column("Make / model", 27, lambda l: f"{l.make} {l.model}".strip()),
    Column("Category", 14, lambda l: l.category),
    Column("Media", 10, lambda l: l.media_type),
    Column("Drive", 22, lambda l: l.drive()),
    Column("Method", 13, lambda l: l.method_type or "n/a"),
    Column("Technique", 18, lambda l: l.how()),
    Column("Tool", 21, lambda l: f"{l.tool} {l.tool_version}".strip()),
    Column("Verification", 21, lambda l: l.checked()),
    Column("Performed by", 19, lambda l: l.performed_by),
    Column("Performed at", 22, _when),
    Column("Destination", 20, lambda l: l.destination),
    Column("Outcome", 16, lambda l: l.outcome.replace("_", " ")),
    Column("Notes", 16, lambda l: l.notes),
)
