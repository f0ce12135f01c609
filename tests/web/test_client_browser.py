"""In Debian's Chromium against gunicorn, what #22 gave the client and the admin: finding a device across
batches and reading its record, the disposition export, checking an asset list before registering it, adding a
webhook endpoint, and closing a batch through its confirmation. Each page visited is saved as a screenshot."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from itad.models import Batch, db
from tests.certification.conftest import bench, close_a_batch, signing_key  # noqa: F401 (fixtures)
from tests.factories import make_batch
from tests.web.conftest import shoot, sign_in

pytestmark = pytest.mark.browser


def test_a_client_finds_a_device_reads_its_record_and_downloads_the_export(
        session, world, bench, signing_key, open_page, tmp_path):  # noqa: F811
    closed = close_a_batch(session, world, bench)
    serial, number = closed.cleared.serial, closed.certificate.number
    page = open_page()
    sign_in(page, world.acme.user)
    page.get_by_role("link", name="Find a device").click()
    page.get_by_role("searchbox").fill(serial)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Drives and their wipes").wait_for()    # one match opens the device
    text = page.locator("main").inner_text()
    assert serial in text and "Cryptographic erase" in text and f"passed by {world.tech2.user.name}" in text
    assert number in text and "cleared for resale" in text
    shoot(page, "portal-device")
    page.get_by_role("link", name=f"Batch {closed.batch.reference}").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert {r["Serial"] for r in rows} == {closed.cleared.serial, closed.destroyed.serial, closed.missing.serial}
    assert {r["Certificate"] for r in rows if r["Serial"] == serial} == {number}


def test_a_client_checks_a_list_sees_how_it_was_read_then_registers_it(session, world, open_page, tmp_path):
    listed = tmp_path / "assets.csv"
    listed.write_text("S/N,Make,Model,Type,HDD Serial,Cost centre\nLAP-9,Dell,Latitude 7490,Laptop,WD-9,CC-1\n")
    page = open_page()
    sign_in(page, world.acme.user)
    page.get_by_role("link", name="New batch").click()
    page.get_by_text("A template to fill in").click()
    shoot(page, "portal-new-batch-template")
    page.get_by_label("Your reference").fill("PO-CHECKED-1")
    page.get_by_label("Asset list").set_input_files(str(listed))
    page.get_by_role("button", name="Check the list").click()
    understood = page.locator("table.understood")
    understood.wait_for()
    assert "drive serials" in understood.inner_text() and "kept as written" in understood.inner_text()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0
    shoot(page, "portal-new-batch-checked")
    page.get_by_role("button", name="Register this batch").click()
    page.get_by_role("heading", name="Batch PO-CHECKED-1").wait_for()
    assert page.get_by_text("registered: 1 devices").is_visible()


def test_a_client_adds_a_webhook_endpoint_and_sees_its_secret_once(session, world, open_page):
    page = open_page()
    sign_in(page, world.acme.user)
    page.get_by_role("link", name="Notifications").click()
    page.get_by_label("URL").fill("https://assets.acme.example/itad")
    page.get_by_label("certificate issued").check()
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#new-secret").inner_text()
    assert len(secret) == 64
    shoot(page, "portal-notifications-added")
    page.goto("/notifications")
    assert secret not in page.content() and "https://assets.acme.example/itad" in page.content()


def test_an_admin_closes_a_batch_after_reading_what_closing_will_do(session, world, signing_key, open_page):  # noqa: F811
    batch = make_batch(session, world.acme.org, reference="PO-CLOSE-UI", devices=3)
    session.commit()
    page = open_page()
    sign_in(page, world.admin.user)
    page.goto(f"/batches/{batch.id}")
    page.get_by_role("button", name="Close batch").click()
    page.get_by_role("heading", name="Close batch PO-CLOSE-UI?").wait_for()
    said = page.locator(".confirm").inner_text()
    assert "3 device(s) were never received and will be recorded missing." in said
    assert "will list 3 device(s) and be signed and issued" in said
    shoot(page, "admin-close-confirm")
    page.get_by_role("button", name="Close the batch").click()
    page.get_by_text("Closing batch PO-CLOSE-UI").wait_for()
    db.session.expire_all()
    page.reload()
    page.locator("h1 .tag", has_text="closed").wait_for()
    assert db.session.get(Batch, batch.id).status == "closed"
    shoot(page, "admin-batch-closed")
