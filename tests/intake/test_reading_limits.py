"""Reading an asset list is bounded: a workbook that unpacks past the limit, a row wider than the limit, a cell
longer than the limit and entity expansion in a workbook's XML are each refused with the limit named, before they
take the server's memory; nothing is registered."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from itad.intake import reading
from itad.models import Batch
from tests.intake.test_intake_api import csv_bytes, upload


def _xlsx(sheet_xml: str, shared: str | None = None, pad: int = 0) -> bytes:
    """A minimal workbook with the given first sheet (and shared strings), optionally padded with whitespace that
    compresses to almost nothing (a zip bomb's shape)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared else "") + '</Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
                   + '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml.replace("<sheetData>", "<sheetData>" + " " * pad))
        if shared:
            z.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


SHEET = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         '<sheetData>{rows}</sheetData></worksheet>')
ROWS = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Serial</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>S-1</t></is></c>{extra}</row>')


def _count(session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Batch))


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read(client, world, session):
    bomb = _xlsx(SHEET.format(rows=ROWS.format(extra="")), pad=reading.MAX_UNPACKED_BYTES + 1)
    assert len(bomb) < 2 * 1024 * 1024                              # a small file...
    r = upload(client, world.acme, bomb, name="list.xlsx")
    assert r.status_code == 413 and r.get_json()["error"]["details"]["limit"] == "unpacked_bytes"
    assert _count(session) == 0


def test_a_cell_at_a_far_column_is_refused_as_too_wide(client, world, session):
    far = '<c r="AMZ2" t="inlineStr"><is><t>x</t></is></c>'        # column 1,040
    r = upload(client, world.acme, _xlsx(SHEET.format(rows=ROWS.format(extra=far))), name="list.xlsx")
    assert r.status_code == 413 and r.get_json()["error"]["details"] == {
        "limit": "columns", "maximum": reading.MAX_COLUMNS, "value": reading.MAX_COLUMNS + 1}
    wide = csv_bytes("Serial," + ",".join(f"c{i}" for i in range(reading.MAX_COLUMNS + 5)), "S-1")
    r = upload(client, world.acme, wide)
    assert r.status_code == 413 and "Row 1 has more than 1,000 columns" in r.get_json()["error"]["message"]
    assert _count(session) == 0


def test_entity_expansion_in_shared_strings_is_refused_as_unreadable(client, world, session):
    laughs = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              '<si><t>&b;</t></si></sst>')
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    r = upload(client, world.acme, _xlsx(SHEET.format(rows=rows), shared=laughs), name="list.xlsx")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "manifest_unreadable"
    assert _count(session) == 0


def test_a_cell_past_the_length_limit_is_a_row_problem(client, world):
    r = upload(client, world.acme, csv_bytes("Serial,Notes", "S-1," + "x" * 10_001))
    assert r.status_code == 422
    (problem,) = r.get_json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"], problem["code"]) == (2, "Notes", "too_long")
    assert "10,001 characters" in problem["message"]


def test_a_reference_past_the_spreadsheet_columns_is_unreadable_not_a_crash(client, world):
    far = '<c r="ZZZZZZZ2" t="inlineStr"><is><t>x</t></is></c>'
    r = upload(client, world.acme, _xlsx(SHEET.format(rows=ROWS.format(extra=far))), name="list.xlsx")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "manifest_unreadable"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_memory_comes_back_after_hostile_uploads(client, world):
    import gc

    bomb = _xlsx(SHEET.format(rows=ROWS.format(extra="")), pad=reading.MAX_UNPACKED_BYTES + 1)
    wide = csv_bytes("Serial," + ",".join(f"c{i}" for i in range(reading.MAX_COLUMNS + 5)),
                     *[f"S-{n}" + ",x" * (reading.MAX_COLUMNS + 5) for n in range(2000)])
    upload(client, world.acme, bomb, name="warm.xlsx")                   # imports and caches warmed up
    gc.collect()
    before = _rss_bytes()
    for _ in range(3):
        assert upload(client, world.acme, bomb, name="list.xlsx").status_code == 413
        assert upload(client, world.acme, wide).status_code == 413
    gc.collect()
    assert _rss_bytes() - before < 50 * 1024 * 1024
