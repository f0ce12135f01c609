"""In Debian's Chromium against gunicorn: the client's settlement and its CSV, an admin issuing a missing
certificate then re-issuing and revoking it, rotating the signing key, and selling a unit from stock.
Each page visited is saved under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import current_app
from playwright.sync_api import expect

from itad.certification import keys
from itad.inventory import settlement, statements, stock
from itad.models import Certificate, InventoryItem, Sale, SigningKey, db
from tests.certification.conftest import close_a_batch
from tests.inventory.conftest import past_sale
from tests.web.conftest import agree_share, shoot, sign_in, sold_batch, stock_units
from tests.workflow_db.conftest import Bench

pytestmark = pytest.mark.browser
ISSUING = 90_000  # ms


def test_a_client_reads_its_settlement_and_downloads_the_csv(session, world, open_page, tmp_path):
    batch, _ = sold_batch(session, world.acme, "ACME-SOLD-7")
    sold_batch(session, world.globex, "GLOBEX-SOLD-7", prices=(("999.00", "0.00"),))
    agree_share(session, world, world.acme, "60.00")
    expected = statements.settlement_csv(settlement.settle_batch(session, batch))

    page = open_page()
    sign_in(page, world.acme.user)
    page.get_by_role("link", name="Settlement").click()
    page.get_by_role("heading", name="By batch").wait_for()
    assert "242.99" in page.locator("table.owed").inner_text() and "GLOBEX-SOLD-7" not in page.content()
    shoot(page, "portal-settlement")
    page.get_by_role("link", name="ACME-SOLD-7").click()
    page.get_by_role("heading", name="Units sold").wait_for()
    shoot(page, "portal-batch-settlement")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "settlement.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"settlement-batch-{batch.id}.csv"
    assert saved.read_text() == expected


def _certs(batch_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch_id)
                              .order_by(Certificate.id)).all()


def test_an_admin_issues_a_missing_certificate_then_reissues_and_revokes_it(session, client, world, open_page):
    closed = close_a_batch(session, world, Bench(client, world))  # no signing key yet: no certificate
    assert closed.certificate is None
    item = stock.list_device(session, world.admin.user, closed.cleared)
    keys.init_key(session, current_app.config, common_name="Test signing", organization="Test ITAD")
    session.commit()
    batch_id, item_id = closed.batch.id, item.id

    page = open_page()
    sign_in(page, world.admin.user)
    page.get_by_role("link", name="Certificates").click()
    row = page.locator("table.awaiting tbody tr", has_text="ACME-PO-2026-17")
    assert "never issued" in row.inner_text()
    shoot(page, "admin-certificates-missing")
    row.get_by_placeholder("Reason (optional)").fill("closed before the signing key existed")
    # No Redis here: the issuing job runs inline after the commit, so the answer waits for the signed PDF
    # (a cold gunicorn worker loads WeasyPrint and the fonts first).
    row.get_by_role("button", name=re.compile("Issue the certificate")).click(timeout=ISSUING)
    page.get_by_text(re.compile(r"Certificate COS-\d{4}-\d{6} issued\.")).wait_for(timeout=ISSUING)
    [first] = _certs(batch_id)
    assert first.status == "issued" and page.url.endswith(f"/admin/certificates/{first.id}")
    shoot(page, "admin-certificate-issued")

    page.get_by_label("Why (kept with the certificate)").fill("asset tag corrected")
    page.get_by_role("button", name="Re-issue").click(timeout=ISSUING)
    page.get_by_text("it supersedes the one in force").wait_for(timeout=ISSUING)
    first, second = _certs(batch_id)
    assert (first.status, second.supersedes_id) == ("superseded", first.id)
    assert page.get_by_role("heading", name=re.compile(second.number)).is_visible()
    shoot(page, "admin-certificate-reissued")

    page.get_by_label(re.compile("Why it is revoked")).fill("wrong batch scanned at intake")
    page.get_by_role("button", name=f"Revoke {second.number}").click()
    # The confirmation says what revoking does before anything is done.
    page.get_by_role("heading", name=f"Revoke certificate {second.number}?").wait_for()
    assert "1 unit(s) it covers that are cleared or in stock will be withdrawn" in page.locator(".confirm").inner_text()
    assert _certs(batch_id)[1].status == "issued"
    shoot(page, "admin-certificate-revoke-confirm")
    page.get_by_role("button", name="Revoke the certificate").click()
    page.get_by_text("can no longer be sold").wait_for()
    assert _certs(batch_id)[1].status == "revoked"
    assert db.session.get(InventoryItem, item_id).status == "withdrawn"
    shoot(page, "admin-certificate-revoked")

    page.goto(f"/admin/certificates?client={world.acme.org.id}")
    register = page.locator("table.certificates").inner_text()
    assert "superseded" in register and "revoked" in register
    assert "its certificate was revoked" in page.locator("table.awaiting").inner_text()
    shoot(page, "admin-certificates-register")


def test_an_admin_rotates_the_signing_key(session, world, open_page):
    keys.init_key(session, current_app.config, common_name="First signing", organization="Test ITAD")
    session.commit()
    page = open_page()
    sign_in(page, world.admin.user)
    page.get_by_role("link", name="Signing keys").click()
    # The click starts the navigation; the assertion waits for the page it led to.
    expect(page.locator("table.keys tbody tr")).to_have_count(1)
    shoot(page, "admin-signing-keys")
    page.get_by_label("Common name (CN)").fill("Second signing")
    page.get_by_role("button", name="Rotate the signing key").click()
    page.get_by_text("Earlier keys are retired").wait_for()
    rows = page.locator("table.keys tbody tr")
    assert rows.count() == 2 and "retired" in rows.nth(0).inner_text() and "active" in rows.nth(1).inner_text()
    assert "PRIVATE KEY" not in page.content()
    db.session.expire_all()
    active = keys.active_key(db.session)
    assert "CN=Second signing" in active.subject and active.fingerprint in rows.nth(1).inner_text()
    assert db.session.query(SigningKey).count() == 2
    shoot(page, "admin-signing-keys-rotated")


def test_an_admin_lists_and_sells_a_unit_at_the_suggested_price(session, world, open_page):
    device, other = stock_units(session, world, 2, listed=False)
    stock.list_device(session, world.admin.user, other, location="A-09")
    for price in ("280.00", "300.00", "320.00"):
        past_sale(session, world.globex.org, price=price, sold_on=date.today())
    session.commit()
    device_id = device.id

    page = open_page()
    sign_in(page, world.admin.user)
    page.get_by_role("link", name="Inventory").click()
    shoot(page, "admin-inventory")
    row = page.locator("table.awaiting tbody tr", has_text=device.serial)
    row.get_by_placeholder("Shelf").fill("B-01")
    row.get_by_role("button", name=f"List {device.serial} in stock").click()
    page.get_by_text(re.compile(r"is in stock as LAPTOP-DELL-LATITUDE-5490-B")).wait_for()
    # The suggested price (median of the three sales) is shown and fills the sale form.
    assert "300.00 EUR" in page.locator("section.suggestion").inner_text()
    assert page.get_by_label("Price", exact=True).input_value() == "300.00"
    shoot(page, "admin-inventory-unit")
    page.get_by_label("Channel fee").fill("15.00")
    page.get_by_label("Buyer reference").first.fill("refurb-co order 8812")
    page.get_by_role("button", name="Record the sale").click()
    page.get_by_text("The unit leaves stock for good").wait_for()
    shoot(page, "admin-inventory-sell-confirm")
    page.get_by_role("button", name="Record the sale").click()      # on the confirmation
    page.get_by_text("sold to refurb-co order 8812 for 300.00 EUR").wait_for()
    shoot(page, "admin-inventory-sold")
    db.session.expire_all()
    item = stock.item_for_device(db.session, device_id)
    sale = db.session.scalars(sa.select(Sale).where(Sale.item_id == item.id)).one()
    assert item.status == "sold" and (str(sale.price), str(sale.fee)) == ("300.00", "15.00")

    page.goto(f"/admin/inventory?status=sold&client={world.acme.org.id}")
    assert page.locator("table.stock tbody tr").count() == 1
    shoot(page, "admin-inventory-filtered")
