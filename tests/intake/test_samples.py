"""Every real asset list in tests/samples/asset-lists, and exactly what it yields."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from itad.intake.categories import CATEGORIES
from itad.intake.manifest import NoSerialColumn, ManifestRow, Problem, read_manifest
from tests.samples import SAMPLES as ALL_SAMPLES

SAMPLES = ALL_SAMPLES / "asset-lists"


def read(name: str):
    manifest = read_manifest((SAMPLES / name).read_bytes())
    rows = list(manifest)
    return manifest, rows


def test_every_sample_file_is_covered_here():
    covered = {
        "assets-sample.csv", "assets-sample-BAD.csv", "assets-sample-BLANKS.csv",
        "devices_deliverynote.csv", "multiples_devices.csv",
    }
    assert {p.name for p in SAMPLES.glob("*") if p.suffix in {".csv", ".xlsx", ".json", ".txt"}} - {"SOURCE.txt"} == covered


def test_snipe_it_assets_sample_is_refused_because_it_has_no_serial_column():
    with pytest.raises(NoSerialColumn) as refused:
        read_manifest((SAMPLES / "assets-sample.csv").read_bytes())
    assert refused.value.headers[:4] == ("Company", "Name", "Asset Tag", "Category")
    assert len(refused.value.headers) == 21
    assert "'Model Number'" in refused.value.message and "Headers found" in refused.value.message


def test_deliverynote_semicolon_file_yields_seven_desktops_and_two_missing_serials():
    manifest, rows = read("devices_deliverynote.csv")
    assert (manifest.source.format, manifest.source.encoding, manifest.source.delimiter) == ("csv", "utf-8", ";")
    assert manifest.columns.as_dict()["fields"] == {
        "asset_tag": "Nº Inventary", "category": "Type of device", "manufacturer": "Brand",
        "model": "Model", "serial": "serial number",
    }
    # "Box" and "Sub Type" are empty on every row, and so is the column with no header.
    assert manifest.columns.as_dict()["attributes"] == ["Box", "Sub Type"]
    assert [r.row_number for r in rows] == [2, 3, 5, 7, 8, 9, 10]
    assert rows[0] == ManifestRow(2, "PSV75EZ0070170002C14j00", "N006536", "Acer", "Veriton M480G",
                                  "desktop", (), {})
    assert rows[1].category == "desktop"  # written "PC " with a trailing space
    assert rows[4].asset_tag is None and rows[4].serial == "PSV75EZ007017000361800"
    message = "The serial number is missing. Every device needs its serial to be received."
    assert manifest.problems == [
        Problem(4, "serial number", "", message, "missing_serial"),
        Problem(6, "serial number", "", message, "missing_serial"),
    ]
    assert (manifest.rows_read, manifest.rows_accepted, manifest.ok) == (9, 7, False)


def test_devicehub_multiples_devices_yields_four_devices_with_components_as_attributes():
    manifest, rows = read("multiples_devices.csv")
    assert manifest.ok and manifest.source.delimiter == ","
    assert [(r.row_number, r.serial, r.category, r.manufacturer, r.model) for r in rows] == [
        (2, "b8oaas048286", "laptop", "asustek computer inc.", "1001pxd"),
        (3, "d1s", "desktop", "d1mr", "d1ml"),
        (4, "bar", "keyboard", "baz", "foo"),
        (5, "cn0fp446728728541c8s", "monitor", "dell", "1707fpf"),  # "ComputerMonitor"
    ]
    assert [h for _, h in manifest.columns.drive_columns] == [
        f"DataStorage {n} Serial Number" for n in range(1, 5)
    ]
    assert all(r.drive_serials == () for r in rows)  # those columns are empty in this file
    assert rows[0].attributes["Price"] == "47.40 €"
    assert rows[0].attributes["Chassis"] == "Netbook"
    assert rows[0].attributes["Registered in"] == "Tue Jul  2 10:37:44 2019"
    assert rows[0].attributes["Motherboard 1 Serial Number"] == "eee0123456789"  # not a drive
    assert rows[2].attributes == {"Registered in": "Tue Jul  2 10:38:14 2019"}


def _snipe_it_bad_expectations(manifest, rows):
    # Classic Mac Excel: CR-only line ends and MacRoman bytes; read as MacRoman, never a crash.
    assert manifest.source == type(manifest.source)("csv", "mac_roman", ",")
    fields = manifest.columns.as_dict()["fields"]
    # "Serial" holds UUID-like values: that is the serial column. "Model Number" holds the
    # scientific-notation damage (6.37702E+15): it is kept as an attribute and not judged.
    assert fields == {"category": "Category", "model": "Model name", "manufacturer": "Manufacturer",
                      "serial": "Serial", "asset_tag": "Asset Tag"}
    assert rows == []
    assert manifest.rows_read == 200
    codes = Counter(p.code for p in manifest.problems)
    # Lorem-ipsum categories ("quam", "justo") on every row, 17 rows without a serial: every
    # problem of a row is reported, not only its first.
    assert codes == {"unknown_category": 200, "missing_serial": 17}
    assert "scientific_notation" not in codes
    assert manifest.problems[0] == Problem(
        2, "Category", "quam",
        "Unknown category 'quam'. Use one of: " + ", ".join(CATEGORIES) + ".",
        "unknown_category",
    )
    missing = [p.row for p in manifest.problems if p.code == "missing_serial"]
    assert missing == [13, 35, 50, 69, 78, 79, 83, 90, 91, 107, 118, 125, 133, 153, 155, 166, 201]


def test_snipe_it_bad_file_reads_as_macroman_with_the_serial_column_named_serial():
    manifest, rows = read("assets-sample-BAD.csv")
    _snipe_it_bad_expectations(manifest, rows)
    assert manifest.columns.as_dict()["attributes"] == [
        "Full Name", "Email", "Username", "Company", "item Name", "Model Number", "Location",
        "Category (2)", "Notes", "Purchase Date", "Purchase Cost", "Company (2)", "Status",
        "Warranty", "Supplier",
    ]


def test_snipe_it_bad_file_keeps_mojibake_bytes_meaningful():
    data = (SAMPLES / "assets-sample-BAD.csv").read_bytes()
    manifest = read_manifest(data, max_problems=10_000)
    manifest.validate()
    # Nothing was lost: the text decodes back to the very bytes of the file.
    assert data.decode(manifest.source.encoding).encode(manifest.source.encoding) == data


def test_snipe_it_blanks_file_ignores_empty_header_columns_that_are_empty():
    manifest, rows = read("assets-sample-BLANKS.csv")
    _snipe_it_bad_expectations(manifest, rows)
    summary = manifest.columns.as_dict()
    assert summary["unnamed_columns"] == ["column 5", "column 9", "column 14"]
    assert "Category (2)" not in summary["attributes"] and "Company" in summary["attributes"]
