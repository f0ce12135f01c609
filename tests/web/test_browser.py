"""End to end in Debian's Chromium against gunicorn: the portal, the bench by keyboard, the 404 rule.
Each page visited is saved under test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from itad.models import Device, db
from tests.factories import make_batch
from tests.web.conftest import focus_lands, shoot, sign_in

pytestmark = pytest.mark.browser


def _fresh(device_id: int) -> Device:
    db.session.expire_all()
    return db.session.get(Device, device_id)


def test_a_technician_receives_wipes_and_grades_with_the_keyboard_and_a_second_one_verifies(
        session, world, open_page):
    batch = make_batch(session, world.acme.org, reference="PO-KEYS", devices=3)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id))
    serial, device_id = device.serial, device.id
    session.commit()

    bench = open_page()
    sign_in(bench, world.tech.user)
    assert bench.url.endswith("/bench")
    shoot(bench, "bench-scan")
    # The serial field has focus: a scanner types the serial and Enter.
    focus_lands(bench, "input[data-scan]")
    bench.keyboard.type(serial.lower())
    bench.keyboard.press("Enter")
    bench.wait_for_url(f"**/bench/devices/{device_id}")
    shoot(bench, "bench-device-registered")
    # The one step allowed now has focus: Enter receives.
    focus_lands(bench, "button.primary")
    assert bench.evaluate("document.activeElement.textContent").startswith("Receive")
    bench.keyboard.press("Enter")
    bench.get_by_text("Received. Next").wait_for()
    shoot(bench, "bench-device-received")
    # After the step the scan field has focus again: scanning the unit opens its next step.
    focus_lands(bench, "input[data-scan]")
    bench.keyboard.type(serial)
    bench.keyboard.press("Enter")
    # The wipe form: method has focus; Tab to the technique and the tool, Enter records.
    focus_lands(bench, "select[name=method]")
    bench.keyboard.type("clear")
    bench.keyboard.press("Tab")
    bench.keyboard.type("overwrite")
    bench.keyboard.press("Tab")
    bench.keyboard.press("Enter")
    bench.get_by_text("Wipe recorded").wait_for()
    assert _fresh(device_id).state == "sanitized"
    assert bench.get_by_text("Another technician must verify").is_visible()
    shoot(bench, "bench-device-sanitized-wiper")

    verifier = open_page()
    sign_in(verifier, world.tech2.user)
    focus_lands(verifier, "input[data-scan]")
    verifier.keyboard.type(serial)
    verifier.keyboard.press("Enter")
    verifier.wait_for_url(f"**/bench/devices/{device_id}")
    shoot(verifier, "bench-device-verify")
    focus_lands(verifier, "button[name=passed]")
    assert verifier.evaluate("document.activeElement.textContent") == "Wipe verified"
    verifier.keyboard.press("Enter")
    verifier.get_by_text("Verification recorded: passed").wait_for()

    bench.goto(f"/bench/devices/{device_id}")
    focus_lands(bench, "input[name=grade]")  # the grade field has focus
    bench.keyboard.type("B")
    bench.keyboard.press("Enter")
    bench.get_by_text("Graded B.").wait_for()
    shoot(bench, "bench-device-graded")
    assert _fresh(device_id).state == "graded"

    bench.goto("/bench/queue/received")
    shoot(bench, "bench-queue")


def test_the_client_follows_the_batch_and_its_custody_in_the_portal(session, world, open_page):
    batch = make_batch(session, world.acme.org, reference="PO-PORTAL", devices=12)
    from itad.steps import receiving

    serials = session.scalars(sa.select(Device.serial).where(Device.batch_id == batch.id).order_by(Device.id)).all()
    for serial in serials[:5]:
        receiving.receive(session, world.tech.user, serial=serial, batch_id=batch.id)
    receiving.receive(session, world.tech.user, serial="STRAY-0001", batch_id=batch.id)
    session.commit()

    page = open_page()
    sign_in(page, world.acme.user)
    shoot(page, "portal-batches")
    page.get_by_role("link", name="PO-PORTAL").click()
    page.get_by_role("heading", name="Custody timeline").wait_for()
    shoot(page, "portal-batch")
    assert page.get_by_text("STRAY-0001").first.is_visible()
    # The state filter applies itself (site.js) and the list narrows.
    page.get_by_label("State").select_option("received")
    page.wait_for_url(re.compile(r"state=received"))
    assert page.locator("table.devices tbody tr").count() == 5


def test_a_client_opening_another_clients_batch_sees_the_404_page(session, world, open_page):
    batch = make_batch(session, world.acme.org, reference="ACME-SECRET", devices=1)
    session.commit()
    page = open_page()
    sign_in(page, world.globex.user)
    response = page.goto(f"/batches/{batch.id}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "ACME-SECRET" not in page.content()
    shoot(page, "portal-foreign-batch-404")


def test_an_admin_issues_a_token_that_is_shown_once(session, world, open_page):
    page = open_page()
    sign_in(page, world.admin.user)
    page.goto(f"/admin/organizations/{world.acme.org.id}")
    shoot(page, "admin-organization")
    page.get_by_role("link", name=world.acme.user.name).click()
    page.get_by_label("Token name").fill("asset system")
    page.get_by_role("button", name="Issue token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("itad_")
    shoot(page, "admin-user-token-once")
    page.goto(page.url)  # a GET of the same page: the token is gone
    assert token not in page.content()
    page.goto("/admin/organizations")
    shoot(page, "admin-organizations")


def test_a_client_uploads_a_list_sees_its_problem_fixes_it_and_registers_the_batch(
        session, world, open_page, tmp_path):
    bad = tmp_path / "assets.csv"
    bad.write_text("Serial Number,Manufacturer,Model,Category,Drive Serials\n"
                   "LAP-001,Dell,Latitude 7490,Laptop,WD-1\n"
                   "LAP-001,HP,EliteBook 840,Laptop,WD-2\n"
                   "MON-001,Dell,P2419H,Monitor,\n")
    page = open_page()
    sign_in(page, world.acme.user)
    page.get_by_role("link", name="New batch").click()
    shoot(page, "portal-new-batch")
    page.get_by_label("Your reference").fill("PO-2026-17")
    page.get_by_label("Asset list").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and register").click()
    problems = page.locator("table.problems tbody tr")
    problems.first.wait_for()
    assert problems.count() == 1
    cells = problems.first.locator("td").all_inner_texts()
    assert cells[0] == "3" and "LAP-001" in cells[2] and cells[3]
    shoot(page, "portal-upload-problems")

    fixed = tmp_path / "assets-fixed.csv"
    fixed.write_text(bad.read_text().replace("LAP-001,HP", "LAP-002,HP"))
    page.get_by_label("Your reference").fill("PO-2026-17")
    page.get_by_label("Asset list").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and register").click()
    page.get_by_role("heading", name=re.compile("Batch PO-2026-17")).wait_for()
    assert page.get_by_text("registered: 3 devices").is_visible()
    assert page.locator("table.devices tbody tr").count() == 3
    shoot(page, "portal-batch-registered")
