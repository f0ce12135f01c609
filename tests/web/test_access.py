"""Who may open which page: clients see their own batches only (a foreign id is the same 404 page
as a missing one), technicians work the bench, admins run the admin pages."""

from __future__ import annotations

import re

import sqlalchemy as sa

from itad.models import Device
from tests.factories import make_batch


def _acme_batch(session, world):
    batch = make_batch(session, world.acme.org, reference="ACME-PO-1", devices=2)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id))
    session.commit()
    return batch, device


def test_a_client_sees_its_batch_with_devices_and_progress(session, world, as_user):
    batch, device = _acme_batch(session, world)
    page = as_user(world.acme.user).text(f"/batches/{batch.id}")
    assert "ACME-PO-1" in page and device.serial in page and "Custody timeline" in page
    assert 'class="bar"' in page


def test_a_client_list_shows_only_its_own_batches(session, world, as_user):
    _acme_batch(session, world)
    make_batch(session, world.globex.org, reference="GLOBEX-PO-9", devices=1)
    session.commit()
    page = as_user(world.acme.user).text("/")
    assert "ACME-PO-1" in page and "GLOBEX-PO-9" not in page


def test_another_clients_batch_is_the_same_404_page_as_a_missing_one(session, world, as_user):
    batch, _ = _acme_batch(session, world)
    globex = as_user(world.globex.user)
    foreign = globex.get(f"/batches/{batch.id}")
    missing = globex.get(f"/batches/{batch.id + 1000}")
    assert foreign.status_code == missing.status_code == 404
    text = foreign.get_data(as_text=True)
    assert "Not found" in text and "ACME-PO-1" not in text
    same = re.compile(r"batch with id \d+")
    assert same.sub("", text) == same.sub("", missing.get_data(as_text=True))


def test_device_search_and_state_filter_narrow_the_list(session, world, as_user):
    batch, device = _acme_batch(session, world)
    acme = as_user(world.acme.user)
    page = acme.text(f"/batches/{batch.id}?serial={device.serial.lower()}")
    others = [d.serial for d in session.scalars(sa.select(Device).where(Device.batch_id == batch.id, Device.id != device.id))]
    assert device.serial in page and not any(s in page for s in others)
    assert "No device matches" in acme.text(f"/batches/{batch.id}?state=cleared")


def test_clients_cannot_open_the_bench_or_the_admin_pages(world, as_user):
    acme = as_user(world.acme.user)
    assert acme.get("/bench").status_code == 403
    assert acme.get("/admin/organizations").status_code == 403
    assert acme.post("/admin/organizations", {"name": "Evil"}).status_code == 403


def test_a_client_cannot_open_a_device_on_the_bench(session, world, as_user):
    _, device = _acme_batch(session, world)
    assert as_user(world.acme.user).get(f"/bench/devices/{device.id}").status_code == 403


def test_technicians_land_on_the_bench_and_cannot_administer(world, as_user):
    tech = as_user(world.tech.user)
    r = tech.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/bench")
    assert tech.get("/admin/organizations").status_code == 403
    assert tech.get("/batches/new").status_code == 403


def test_operators_see_every_clients_batch(session, world, as_user):
    batch, device = _acme_batch(session, world)
    tech = as_user(world.tech.user)
    assert tech.get(f"/batches/{batch.id}").status_code == 200
    assert device.serial in tech.text(f"/bench/devices/{device.id}")


def test_navigation_follows_the_role(world, as_user):
    client_nav = as_user(world.acme.user).text("/")
    admin_nav = as_user(world.admin.user).text("/")
    assert "New batch" in client_nav and "Bench" not in client_nav and "Organizations" not in client_nav
    assert all(link in admin_nav for link in ("Batches", "Bench", "Organizations"))


def test_a_form_without_csrf_token_is_refused(session, world, as_user):
    _, device = _acme_batch(session, world)
    tech = as_user(world.tech.user)
    r = tech.http.post(f"/bench/devices/{device.id}/receive", data={})
    assert r.status_code == 400


def test_pages_carry_no_inline_script_or_style(session, world, as_user):
    batch, device = _acme_batch(session, world)
    pages = [as_user(world.acme.user).text(f"/batches/{batch.id}"),
             as_user(world.tech.user).text(f"/bench/devices/{device.id}")]
    for page in pages:
        assert "<script>" not in page and "style=" not in page and "<style" not in page
