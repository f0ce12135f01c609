"""The same list saved every way a client's tools save it yields the same rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from itad.intake.manifest import UnreadableManifest, manifest_from_records, read_manifest
from itad.intake.reading import detect_encoding, sniff_delimiter
from tests.samples import SAMPLES

DELIVERY_NOTE = SAMPLES / "asset-lists" / "devices_deliverynote.csv"


def original_rows():
    return list(read_manifest(DELIVERY_NOTE.read_bytes()))


def delivery_note_table() -> list[list[str]]:
    text = DELIVERY_NOTE.read_text("utf-8")
    return [line.split(";") for line in text.splitlines()]


def test_crlf_windows_1252_copy_yields_the_same_rows():
    data = DELIVERY_NOTE.read_text("utf-8").replace("\n", "\r\n").encode("cp1252")
    assert b"\xba" in data and b"\r\n" in data  # "Nº" as one Windows-1252 byte
    manifest = read_manifest(data)
    assert manifest.source.encoding == "cp1252"
    assert list(manifest) == original_rows()
    assert manifest.columns.header_of("asset_tag") == "Nº Inventary"


def test_excel_unicode_text_utf16_tab_copy_yields_the_same_rows():
    text = "\r\n".join("\t".join(cells) for cells in delivery_note_table()) + "\r\n"
    manifest = read_manifest(text.encode("utf-16"))  # BOM + UTF-16-LE, as Excel saves it
    assert (manifest.source.encoding, manifest.source.delimiter) == ("utf-16", "\t")
    assert list(manifest) == original_rows()


def test_cr_only_copy_yields_the_same_rows():
    data = DELIVERY_NOTE.read_bytes().replace(b"\n", b"\r")
    assert list(read_manifest(data)) == original_rows()


def test_utf8_bom_copy_yields_the_same_rows():
    manifest = read_manifest(b"\xef\xbb\xbf" + DELIVERY_NOTE.read_bytes())
    assert manifest.source.encoding == "utf-8-sig"
    assert list(manifest) == original_rows()


def test_xlsx_copy_yields_the_same_rows_and_is_recognised_by_content_not_name():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in delivery_note_table():
        sheet.append([c or None for c in cells])
    workbook.create_sheet("Second sheet").append(["Serial", "ignored"])
    out = io.BytesIO()
    workbook.save(out)
    manifest = read_manifest(out.getvalue())
    assert manifest.source.format == "xlsx"
    assert list(manifest) == original_rows()


def test_xlsx_blank_rows_keep_excel_row_numbers_and_long_numbers_are_flagged():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"] = "Serial Number", "Category"
    sheet["A3"], sheet["B3"] = "ABC123", "Notebook"  # row 2 left blank
    sheet["A5"], sheet["B5"] = 6377020000000000, "Laptop"  # typed as a number: digits lost
    sheet["A6"] = 1234567  # a short number keeps its digits
    out = io.BytesIO()
    workbook.save(out)
    manifest = read_manifest(out.getvalue())
    rows = list(manifest)
    assert [(r.row_number, r.serial, r.category) for r in rows] == [(3, "ABC123", "laptop"), (6, "1234567", None)]
    assert [(p.row, p.column, p.value, p.code) for p in manifest.problems] == [
        (5, "Serial Number", "6.37702E+15", "scientific_notation")
    ]


def test_quoted_cells_with_embedded_newlines_count_as_one_spreadsheet_row():
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Serial", "Notes", "Category"])
    writer.writerow(["SN-1", "first line\nsecond line\r\nthird", "Laptop"])
    writer.writerow(["SN-2", 'said "hello", left', "Laptop"])
    out.write("\n")  # a blank line is still a row in Excel
    writer.writerow(["SN-3", "", "Desktop"])
    rows = list(read_manifest(out.getvalue().encode()))
    assert [(r.row_number, r.serial) for r in rows] == [(2, "SN-1"), (3, "SN-2"), (5, "SN-3")]
    assert rows[0].attributes == {"Notes": "first line\nsecond line\r\nthird"}
    assert rows[1].attributes == {"Notes": 'said "hello", left'}


def test_json_list_of_objects_goes_through_the_same_checks():
    items = [
        {"serial": "SN-1", "category": "Notebook", "drive_serials": ["WD-1", "WD-2"], "cost": 12.5},
        {"Serial Number": "ignored-key-mix", "serial": "sn-1"},
        {"serial": 6.37702e15},
    ]
    manifest = manifest_from_records(items)
    rows = list(manifest)
    assert [(r.row_number, r.serial, r.category, r.drive_serials, r.attributes) for r in rows] == [
        (1, "SN-1", "laptop", ("WD-1", "WD-2"), {"cost": "12.5"}),
    ]
    assert [(p.row, p.code) for p in manifest.problems] == [(2, "duplicate_serial"), (3, "scientific_notation")]
    assert manifest.sha256 is None
    from_file = read_manifest(json.dumps(items).encode())
    assert from_file.source.format == "json" and list(from_file) == rows


def test_delimiter_is_counted_in_the_header_line_outside_quotes():
    assert sniff_delimiter('"Serial;No",Model,Make\nA;1,B,C') == ","
    assert sniff_delimiter("Asset list of ACME\nSerial;Model, Name;Make\n") == ";"
    assert sniff_delimiter("Serial\tModel\tMake, Inc\r\n") == "\t"
    assert sniff_delimiter("Serial\n") == ","


def test_encoding_falls_back_to_windows_1252_or_macroman_and_never_fails():
    assert detect_encoding("Nº;Café\n".encode("cp1252")) == "cp1252"
    assert detect_encoding("Nº;Café\r".encode("mac_roman")) == "mac_roman"  # CR-only: classic Mac
    assert detect_encoding(b"Serial\n\x81\x8d\n") == "mac_roman"  # bytes cp1252 lacks
    assert detect_encoding("Serial\nCafé\n".encode("utf-16-le")) == "utf-16-le"  # no BOM
    every_byte = bytes(range(1, 256)).replace(b"\n", b"").replace(b"\r", b"")
    read_manifest(b"Serial\n" + every_byte + b"\n").validate()


def test_old_xls_empty_and_broken_zip_files_are_refused_with_a_reason():
    with pytest.raises(UnreadableManifest, match="Excel 97-2003"):
        read_manifest(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(UnreadableManifest, match="empty"):
        read_manifest(b"\r\n \n")
    with pytest.raises(UnreadableManifest, match="not a readable XLSX"):
        read_manifest(b"PK\x03\x04 not really a zip")
