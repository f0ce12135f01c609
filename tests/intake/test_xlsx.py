"""XLSX asset lists: the first sheet in tab order, each cell as the client reads it in Excel."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from itad.intake.manifest import read_manifest
from itad.intake.reading import open_records
from tests.intake.workbooks import excel_like


def workbook_bytes(build, *, date1904: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    if date1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(data: bytes) -> list[tuple[int, list[str]]]:
    source, records = open_records(data)
    assert source.format == "xlsx"
    rows = []
    for number, cells in records:
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((number, cells))
    return rows


def mixed_sheet(workbook):
    sheet = workbook.active
    sheet.title = "Assets"
    sheet.append(["Serial", "Bought", "Cost", "Working", "Count", "Notes & <remarks>"])
    sheet.append(["SN-1", dt.datetime(2023, 1, 23), 2266.13, True, 3, "  spaced  "])
    sheet.append(["SN-2", dt.datetime(2023, 1, 23, 14, 30), 1e-3, False, 6377020000000000, "Café ’quotes’"])
    sheet["A5"], sheet["D5"] = "SN-3 after a gap", "only D"  # sparse row, blank row 4
    sheet["C6"] = "=1+1"  # a formula never calculated has no value: a blank row
    workbook.create_sheet("Second").append(["not", "read"])


@pytest.mark.parametrize("shared_strings", [False, True], ids=["inline strings", "shared strings"])
@pytest.mark.parametrize("date1904", [False, True], ids=["1900 dates", "1904 dates"])
def test_the_first_sheet_reads_as_excel_shows_it(shared_strings, date1904):
    data = workbook_bytes(mixed_sheet, date1904=date1904)
    if shared_strings:
        data = excel_like(data)
    rows = rows_of(data)
    assert rows[0] == (1, ["Serial", "Bought", "Cost", "Working", "Count", "Notes & <remarks>"])
    assert rows[1] == (2, ["SN-1", "2023-01-23", "2266.13", "TRUE", "3", "  spaced  "])
    assert rows[2] == (3, ["SN-2", "2023-01-23 14:30:00", "0.001", "FALSE", "6.37702E+15", "Café ’quotes’"])
    assert rows[3] == (5, ["SN-3 after a gap", "", "", "only D"])
    assert len(rows) == 4


def test_first_sheet_is_the_first_in_tab_order_not_the_first_file():
    def build(workbook):
        workbook.active.append(["Serial"])
        workbook.active.append(["from the first-made sheet"])
        front = workbook.create_sheet("Front", 0)
        front.append(["Serial"])
        front.append(["from the front tab"])

    assert rows_of(excel_like(workbook_bytes(build))) == [(1, ["Serial"]), (2, ["from the front tab"])]


def test_a_zip_that_is_no_workbook_is_refused_as_unreadable():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(Exception, match="not a readable XLSX"):
        read_manifest(out.getvalue())
