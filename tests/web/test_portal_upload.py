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
