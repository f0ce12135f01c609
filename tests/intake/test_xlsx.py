"""The lean XLSX reader gives exactly what openpyxl gives, on Excel-like and openpyxl workbooks."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from itad.intake.manifest import read_manifest
from itad.intake.reading import cell_text
from itad.intake.xlsx import NotLean, first_sheet_rows
from tests.intake.workbooks import excel_like


def workbook_bytes(build, *, date1904: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    if date1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def openpyxl_rows(data: bytes) -> list[tuple[int, list[str]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
        cells = [cell_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((number, cells))
    return rows


def lean_rows(data: bytes) -> list[tuple[int, list[str]]]:
    rows = []
    for number, cells in first_sheet_rows(data, cell_text):
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
    sheet["C6"] = "=1+1"  # a formula never calculated has no value: a blank row in both
    workbook.create_sheet("Second").append(["not", "read"])


@pytest.mark.parametrize("shared_strings", [False, True], ids=["inline strings", "shared strings"])
@pytest.mark.parametrize("date1904", [False, True], ids=["1900 dates", "1904 dates"])
def test_lean_reader_reads_the_first_sheet_exactly_as_openpyxl_does(shared_strings, date1904):
    data = workbook_bytes(mixed_sheet, date1904=date1904)
    if shared_strings:
        data = excel_like(data)
    rows = lean_rows(data)
    assert rows == openpyxl_rows(data)
    assert rows[1] == (2, ["SN-1", "2023-01-23", "2266.13", "TRUE", "3", "  spaced  "])
    assert rows[2][1][1:5] == ["2023-01-23 14:30:00", "0.001", "FALSE", "6.37702E+15"]
    assert rows[3] == (5, ["SN-3 after a gap", "", "", "only D"])


def test_first_sheet_is_the_first_in_tab_order_not_the_first_file():
    def build(workbook):
        workbook.active.append(["Serial"])
        workbook.active.append(["from the first-made sheet"])
        front = workbook.create_sheet("Front", 0)
        front.append(["Serial"])
        front.append(["from the front tab"])

    data = excel_like(workbook_bytes(build))
    assert lean_rows(data) == openpyxl_rows(data) == [(1, ["Serial"]), (2, ["from the front tab"])]


def test_a_zip_that_is_no_workbook_is_left_to_openpyxl_which_refuses_it():
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(NotLean):
        first_sheet_rows(out.getvalue(), cell_text)
    with pytest.raises(Exception, match="not a readable XLSX"):
        read_manifest(out.getvalue())
