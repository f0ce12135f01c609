"""At a phone's width (390 px, an iPhone 12 to 15) no page of the client, the bench or the admin scrolls
sideways, and the whole menu is reachable. In Debian's Chromium; each page is saved as a screenshot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.inventory import quotes
from itad.models import Device
from tests.certification.conftest import bench, close_a_batch, signing_key  # noqa: F401 (fixtures)
from tests.factories import make_batch
from tests.web.conftest import shoot, sign_in

pytestmark = pytest.mark.browser

PHONE = 390


def _fits(page, name: str) -> None:
    shoot(page, f"phone-{name}")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= PHONE, f"{name}: the page is {page_width} px wide at {PHONE} px"
    # Every link of the menu is on the screen (not cut off to the right).
    for right in page.locator("header.top nav a").evaluate_all("links => links.map(a => a.getBoundingClientRect().right)"):
        assert right <= PHONE, f"{name}: a menu link ends at {right} px"


def test_client_bench_and_admin_pages_fit_a_phone(session, world, bench, signing_key, open_page):  # noqa: F811
    closed = close_a_batch(session, world, bench)
    open_batch = make_batch(session, world.acme.org, reference="ACME-PHONE-OPEN-2026-REFERENCE", devices=3)
    session.commit()
    device = session.scalar(sa.select(Device).where(Device.batch_id == open_batch.id).order_by(Device.id))
    device.attributes = {"Purchase Date": "3/1/23"}     # a quote line with a long note on why it is not used
    session.commit()
    quotes.quote_batch(session, world.acme.user, open_batch)
    session.commit()

    client = open_page(width=PHONE, height=844)
    sign_in(client, world.acme.user)
    for name, path in (("batches", "/"), ("batch-closed", f"/batches/{closed.batch.id}"),
                       ("batch-open", f"/batches/{open_batch.id}"), ("device", f"/devices/{closed.cleared.id}"),
                       ("search", f"/search?q={device.serial[:4]}"), ("new-batch", "/batches/new"),
                       ("settlement", "/settlement"), ("verify", f"/verify/{closed.certificate.number}"),
                       ("notifications", "/notifications"), ("pickups", "/pickups"),
                       ("downstream", f"/batches/{closed.batch.id}/downstream"), ("environment", "/environment"),
                       ("quote", f"/batches/{open_batch.id}/quote")):
        client.goto(path)
        _fits(client, f"client-{name}")

    tech = open_page(width=PHONE, height=844)
    sign_in(tech, world.tech.user)
    for name, path in (("scan", "/bench"), ("device", f"/bench/devices/{device.id}"),
                       ("queue", "/bench/queue/registered"), ("reports", f"/bench/batches/{open_batch.id}/reports")):
        tech.goto(path)
        _fits(tech, f"bench-{name}")
    tech.goto(f"/bench/devices/{device.id}")
    tech.get_by_role("button", name=f"Receive {device.serial}").click()
    tech.get_by_text("Received. Next").wait_for()
    _fits(tech, "bench-device-wipe-form")

    admin = open_page(width=PHONE, height=844)
    sign_in(admin, world.admin.user)
    for name, path in (("organizations", "/admin/organizations"), ("inventory", "/admin/inventory"),
                       ("certificates", "/admin/certificates"), ("batch", f"/batches/{open_batch.id}"),
                       ("notifications", "/notifications"), ("grading", "/admin/grading-schemes"),
                       ("locked", "/locked"), ("downstream", "/admin/downstream"), ("returns", "/admin/returns"),
                       ("quality", "/admin/quality")):
        admin.goto(path)
        _fits(admin, f"admin-{name}")
