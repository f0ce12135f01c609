"""Registering a batch from the portal: every problem shown in a table, or the new batch."""

from __future__ import annotations

import io

import sqlalchemy as sa

from itad.models import Batch

GOOD = b"Serial Number,Manufacturer,Model,Category,Drive Serials\r\nSN-1,Dell,Latitude,Laptop,WD-1\r\nSN-2,HP,EliteDesk,Desktop,\r\n"
DUPLICATE = b"Serial Number,Manufacturer,Model,Category\r\nSN-1,Dell,Latitude,Laptop\r\nSN-1,HP,EliteDesk,Desktop\r\n"


def _upload(browser, data: bytes, reference="PO-WEB", **extra):
    return browser.post("/batches/new", {"reference": reference, "file": (io.BytesIO(data), "list.csv"), **extra},
                        content_type="multipart/form-data")


def test_a_list_with_a_problem_shows_row_column_value_and_fix_and_registers_nothing(session, world, as_user):
    r = _upload(as_user(world.acme.user), DUPLICATE)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert '<table class="problems"' in page and "<td>3</td>" in page and "SN-1" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0


def test_a_good_list_becomes_the_clients_batch(session, world, as_user):
    r = _upload(as_user(world.acme.user), GOOD)
    batch = session.scalar(sa.select(Batch))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/batches/{batch.id}")
    assert batch.organization_id == world.acme.org.id and batch.device_count == 2


def test_the_same_list_twice_is_the_same_batch(session, world, as_user):
    acme = as_user(world.acme.user)
    _upload(acme, GOOD)
    r = _upload(acme, GOOD)
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 1
    assert "registered before" in acme.text(r.headers["Location"])


def test_an_admin_registers_for_the_client_it_names(session, world, as_user):
    _upload(as_user(world.admin.user), GOOD, organization_id=str(world.globex.org.id))
    assert session.scalar(sa.select(Batch.organization_id)) == world.globex.org.id


def test_a_client_cannot_register_for_another_client(session, world, as_user):
    # The organization field is ignored for clients: the batch is theirs.
    _upload(as_user(world.acme.user), GOOD, organization_id=str(world.globex.org.id))
    assert session.scalar(sa.select(Batch.organization_id)) == world.acme.org.id


def test_checking_a_list_shows_how_each_column_was_read_and_registers_nothing_until_asked(session, world, as_user):
    acme = as_user(world.acme.user)
    listed = (b"S/N,Make,Model,Type,HDD Serial,Capacity (GB),Cost centre\r\n"
              b"SN-1,Dell,Latitude,Laptop,WD-1,500,CC-9\r\nSN-2,HP,EliteDesk,Desktop,,,CC-9\r\n")
    r = _upload(acme, listed, step="check")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0
    understood = page[page.index('class="understood"'):page.index("</table>", page.index('class="understood"'))]
    for header, meaning in (("S/N", "the device&#39;s serial number"), ("Make", "make"), ("Type", "category"),
                            ("HDD Serial", "drive serials"), ("Capacity (GB)", "drive capacity"),
                            ("Cost centre", "kept as written")):
        assert f"<td>{header}</td><td>{meaning}" in understood, header
    assert "2 device row(s), no problem found" in page and "WD-1 (type not known, 500,000,000,000 bytes)" in page
    # Registering takes the checked list without a second upload.
    r = acme.post("/batches/new", {"reference": "PO-CHECKED", "step": "register"}, content_type="multipart/form-data")
    batch = session.scalar(sa.select(Batch))
    assert r.status_code == 302 and batch.reference == "PO-CHECKED" and batch.device_count == 2
    assert batch.source_filename == "list.csv"
    # The staged copy of the checked list is gone once it is registered.
    from flask import current_app

    from itad import documents
    from itad.intake.service import sha256_of

    assert not documents.storage(session, current_app.config).exists(sha256_of(listed))


def test_checking_a_list_with_problems_lists_them_and_offers_no_register_button(session, world, as_user):
    page = _upload(as_user(world.acme.user), DUPLICATE, step="check").get_data(as_text=True)
    assert '<table class="problems"' in page and "<td>3</td>" in page and "1 problem(s)" in page
    assert 'value="register"' not in page


def test_registering_with_no_file_and_nothing_checked_asks_for_the_file(session, world, as_user):
    r = as_user(world.acme.user).post("/batches/new", {"reference": "PO-NOFILE", "step": "register"},
                                      content_type="multipart/form-data")
    assert r.status_code == 400 and "Choose the asset list to upload." in r.get_data(as_text=True)


def test_the_template_downloads_with_headers_the_parser_reads(session, world, as_user):
    from openpyxl import load_workbook

    from itad.intake.manifest import read_manifest

    acme = as_user(world.acme.user)
    text = acme.get("/batches/template.csv").get_data(as_text=True)
    book = load_workbook(io.BytesIO(acme.get("/batches/template.xlsx").data))
    headers = [c.value for c in book["Assets"][1]]
    assert text.strip().split(",") == headers and "Serial Number" in headers
    # Filled in, every template column is read as one of our fields (none kept as a mere attribute).
    filled = (text.strip() + "\r\nSN-9,TAG-9,Dell,Latitude,Laptop,WD-9,SSD,512\r\n").encode()
    columns = read_manifest(filled).columns.as_dict()
    assert columns["attributes"] == [] and columns["fields"]["serial"] == "Serial Number"


def test_a_checked_list_whose_copy_is_gone_asks_for_the_file_again(session, world, as_user):
    from flask import current_app

    from itad import documents
    from itad.intake.service import sha256_of

    acme = as_user(world.acme.user)
    _upload(acme, GOOD, step="check")
    documents.storage(session, current_app.config).delete(sha256_of(GOOD))
    session.commit()
    r = acme.post("/batches/new", {"reference": "PO-GONE", "step": "register"}, content_type="multipart/form-data")
    assert r.status_code == 400 and "no longer kept: choose it again" in r.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0
