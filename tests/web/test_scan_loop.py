"""A cart of 20 units worked at the bench with a scanner and the keyboard alone, in Debian's Chromium:
after every step the scan field has focus again, so no scan is lost and no mouse is needed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.models import Device, db
from tests.factories import make_batch
from tests.web.conftest import focus_lands, shoot, sign_in

pytestmark = pytest.mark.browser

CART = 20


def _scan(page, serial: str, device_id: int) -> None:
    """What a barcode scanner does: types into the focused field and presses Enter."""
    focus_lands(page, "input[data-scan]")
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/bench/devices/{device_id}")


def _done(page, message: str) -> None:
    page.locator(".flash.success", has_text=message).wait_for()
    focus_lands(page, "input[data-scan]")   # the next scan lands in the scan field


def test_a_cart_of_20_goes_through_receive_wipe_verify_grade_clear_by_scanner_and_keyboard(
        session, world, open_page):
    batch = make_batch(session, world.acme.org, reference="PO-CART", devices=CART)
    units = session.execute(sa.select(Device.serial, Device.id).where(Device.batch_id == batch.id)
                            .order_by(Device.id)).all()
    session.commit()
    wiper, checker = open_page(), open_page()
    sign_in(wiper, world.tech.user)
    sign_in(checker, world.tech2.user)

    for serial, device_id in units:           # receive the cart
        _scan(wiper, serial, device_id)
        focus_lands(wiper, "button.primary")
        wiper.keyboard.press("Enter")
        _done(wiper, "Received")
    shoot(wiper, "bench-cart-received")

    for serial, device_id in units:           # wipe: the method has focus; Tab to the tool field, Enter records
        _scan(wiper, serial, device_id)
        focus_lands(wiper, "select[name=method]")
        wiper.keyboard.press("Tab")
        wiper.keyboard.press("Tab")
        wiper.keyboard.press("Enter")
        _done(wiper, "Wipe recorded")

    for serial, device_id in units:           # a second technician verifies each wipe
        _scan(checker, serial, device_id)
        focus_lands(checker, "button[name=passed][value='1']")
        checker.keyboard.press("Enter")
        _done(checker, "Verification recorded: passed")

    for serial, device_id in units:           # grade: the grade field has focus
        _scan(wiper, serial, device_id)
        focus_lands(wiper, "input[name=grade]")
        wiper.keyboard.type("b")
        wiper.keyboard.press("Enter")
        _done(wiper, "Graded B")

    for serial, device_id in units:           # clear
        _scan(wiper, serial, device_id)
        focus_lands(wiper, "button.primary")
        wiper.keyboard.press("Enter")
        _done(wiper, "Cleared for resale")
    shoot(wiper, "bench-cart-cleared")

    db.session.expire_all()
    states = db.session.scalars(sa.select(Device.state).where(Device.batch_id == batch.id)).all()
    assert states == ["cleared"] * CART


def test_a_failed_wipe_looks_like_a_failure_and_the_history_names_the_drive_and_result(session, world, open_page):
    batch = make_batch(session, world.acme.org, reference="PO-FAIL", devices=1)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id))
    serial, device_id, drive = device.serial, device.id, device.media[0].serial
    session.commit()
    page = open_page()
    sign_in(page, world.tech.user)
    _scan(page, serial, device_id)
    focus_lands(page, "button.primary")                   # autofocus lands after load: keys before it are lost
    page.keyboard.press("Enter")                          # receive
    _done(page, "Received")
    _scan(page, serial, device_id)
    focus_lands(page, "select[name=method]")
    page.locator("form.wipe select[name=result]").select_option("failed")
    page.get_by_role("button", name="Record wipe").click()
    flash = page.locator(".flash.error")
    flash.wait_for()
    assert f"Wipe FAILED on drive {drive}" in flash.inner_text()
    assert page.locator(".flash.success").count() == 0
    focus_lands(page, "input[data-scan]")
    history = page.locator("ol.timeline li.failed")
    assert f"Wipe of drive {drive}" in history.first.inner_text() and "failed" in history.first.inner_text()
    # The drive is SSD: the techniques offered work on an SSD (no degauss) and are named in words.
    offered = page.locator("select[name=technique]").first.locator("option").all_inner_texts()
    assert "Degauss" not in offered and "Cryptographic erase" in offered and "block_erase" not in offered
    shoot(page, "bench-device-wipe-failed")
