"""Before a batch is registered: how each column of the asset list was understood, its first rows as they
will be stored, and every problem of its rows. Reads the list with the same parser as registering
(itad.intake.manifest) and writes nothing. What needs the database (a serial already in one of the
client's open batches) is checked when the batch is registered.

Also the template a client fills in: the headers the parser knows best, one column per field.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from itad import spreadsheets
from itad.errors import TooLarge
from itad.intake.manifest import ManifestRow, read_manifest
from itad.intake.service import problem_dict, refusal
from itad.intake.errors import ManifestError

SAMPLE_ROWS = 10
# The template: (header, what to write in it). Each header is one the parser reads as that field.
TEMPLATE = (
    ("Serial Number", "The device's serial number (required, one per row)."),
    ("Asset Tag", "Your own inventory tag, if it has one."),
    ("Manufacturer", "Dell, HP, Lenovo, Apple, Cisco..."),
    ("Model", "As on the label: Latitude 7490, EliteBook 840 G5..."),
    ("Category", "laptop, desktop, server, phone, tablet, switch, printer, monitor..."),
    ("Drive Serials", "The serial of each drive inside, separated by ';' (leave empty if none is known)."),
    ("Drive Type", "HDD, SSD or NVMe, for the drives of the row."),
    ("Capacity (GB)", "The drive's size in GB (or write it with its unit: 512GB, 1 TB)."),
)


@dataclass
class Preview:
    columns: dict                 # itad.intake.headers.ColumnMap.as_dict()
    rows: int                     # device rows read
    sample: list[ManifestRow]     # the first SAMPLE_ROWS accepted rows, as they will be stored
    problems: list[dict]          # row, column, value, message; the first max_problems
    problem_count: int


def preview(data: bytes, *, max_rows: int, max_bytes: int | None) -> Preview:
    """Read the whole list as registering would. Raises Invalid (a list that cannot be read at all) or
    TooLarge, as registering does; row problems are in the answer."""
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(f"The file is larger than the limit of {max_bytes} bytes.",
                       details={"limit_bytes": max_bytes, "bytes": len(data)})
    sample: list[ManifestRow] = []
    try:
        manifest = read_manifest(data, max_rows=max_rows)
        for row in manifest:
            if len(sample) < SAMPLE_ROWS:
                sample.append(row)
    except ManifestError as exc:
        raise refusal(exc)
    problems = sorted(manifest.problems, key=lambda p: (p.row, p.column or ""))
    return Preview(manifest.columns.as_dict(), manifest.rows_read, sample, [problem_dict(p) for p in problems],
                   manifest.problem_count)


def template_csv() -> str:
    out = io.StringIO()
    spreadsheets.writer(out).writerow([h for h, _ in TEMPLATE])
    return out.getvalue()


def template_xlsx() -> bytes:
    """The headers on the first sheet; what each means on a second one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Assets"
    sheet.append([h for h, _ in TEMPLATE])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(cell.value) + 4)
    help_sheet = book.create_sheet("How to fill it in")
    help_sheet.append(["Column", "What to write"])
    for header, meaning in TEMPLATE:
        help_sheet.append([header, meaning])
    help_sheet.column_dimensions["A"].width, help_sheet.column_dimensions["B"].width = 18, 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
