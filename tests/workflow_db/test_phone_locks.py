"""Phones and tablets: a unit not recorded clear of every lock is never cleared or listed; a locked one waits in
its client's list, the client is told, and answers (release and re-check, or destroy), each a custody event."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.models import CustodyEvent, Device, db
from tests.factories import make_batch, phone_grade
from tests.workflow_db.conftest import Bench, devices_of
from workflows.mobile import LOCK_KINDS

ALL_CLEAR = {k: {"status": "clear", "source": "Settings and GSMA lookup"} for k in LOCK_KINDS}


@pytest.fixture
def phone(session, world, client):
    """Acme's phone, received, wiped, verified by a second person and graded."""
    batch = make_batch(session, world.acme.org, reference="ACME-PHONES", devices=1, category="phone")
    session.commit()
    device = devices_of(session, batch)[0]
    bench = Bench(client, world)
    bench.wiped_and_verified(world, device)
    bench.ok(world.tech, "POST", f"/devices/{device.id}/grade", phone_grade("A"))
    return device


def _locks(client, party, device_id, checks):
    return client.post(f"/api/v1/devices/{device_id}/locks", json={"checks": checks}, headers=party.headers)


def test_a_phone_with_no_lock_checks_is_not_cleared_and_the_refusal_names_them(client, world, phone):
    r = client.post(f"/api/v1/devices/{phone.id}/clear", headers=world.tech.headers)
    body = r.get_json()["error"]
    assert r.status_code == 409 and "Activation Lock / Find My" in body["message"] and "blacklist" in body["message"]
    assert "record_locks" in body["details"]["needs"]


def test_an_unknown_check_holds_the_phone_as_surely_as_a_lock(client, world, phone):
    _locks(client, world.tech, phone.id, {**ALL_CLEAR, "carrier": {"status": "unknown", "source": "no SIM to test"}})
    r = client.post(f"/api/v1/devices/{phone.id}/clear", headers=world.tech.headers)
    assert r.status_code == 409 and "carrier lock" in r.get_json()["error"]["message"]


def test_every_lock_clear_lets_the_phone_be_cleared_and_each_record_is_a_custody_event(client, world, phone, session):
    assert _locks(client, world.tech, phone.id, ALL_CLEAR).status_code == 200
    assert client.post(f"/api/v1/devices/{phone.id}/clear", headers=world.tech.headers).status_code == 200
    event = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.device_id == phone.id,
                                                         CustodyEvent.action == "record_locks"))
    assert event.evidence["checks"]["activation_lock"] == {"status": "clear", "source": "Settings and GSMA lookup"}


def test_a_locked_phone_waits_for_its_client_who_releases_it_for_a_recheck(client, world, phone, session):
    r = _locks(client, world.tech, phone.id, {**ALL_CLEAR, "activation_lock": {"status": "locked",
                                                                               "source": "Settings: Find My on"}})
    assert r.status_code == 200 and r.get_json()["locked"] is True
    listed = client.get("/api/v1/locked-devices", headers=world.acme.headers).get_json()["items"]
    assert [d["id"] for d in listed] == [phone.id]
    assert client.get("/api/v1/locked-devices", headers=world.globex.headers).get_json()["items"] == []
    assert client.post(f"/api/v1/devices/{phone.id}/lock-answer", json={"action": "recheck"},
                       headers=world.globex.headers).status_code == 404
    answer = client.post(f"/api/v1/devices/{phone.id}/lock-answer", json={"action": "recheck", "note": "removed"},
                         headers=world.acme.headers)
    assert answer.status_code == 200 and answer.get_json()["locked"] is False
    # Released is not yet clear: the bench must check again before the phone can go.
    assert client.post(f"/api/v1/devices/{phone.id}/clear", headers=world.tech.headers).status_code == 409
    _locks(client, world.tech, phone.id, {"activation_lock": {"status": "clear", "source": "Settings: Find My off"}})
    assert client.post(f"/api/v1/devices/{phone.id}/clear", headers=world.tech.headers).status_code == 200
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.device_id == phone.id)
                              .order_by(CustodyEvent.seq)).all()
    assert actions[-4:] == ["record_locks", "client_lock_instruction", "record_locks", "clear"]


def test_a_laptop_has_no_locks_to_record_and_clears_as_before(client, world, session):
    from tests.inventory.conftest import clear

    batch = make_batch(session, world.acme.org, reference="ACME-LAPTOP", devices=1)
    session.commit()
    laptop = devices_of(session, batch)[0]
    assert _locks(client, world.tech, laptop.id, ALL_CLEAR).status_code == 422
    clear(Bench(client, world), world, laptop)
    db.session.expire_all()
    assert db.session.get(Device, laptop.id).state == "cleared"


def test_a_lock_check_needs_its_source(client, world, phone):
    r = _locks(client, world.tech, phone.id, {"frp": {"status": "clear", "source": ""}})
    assert r.status_code == 422


def test_a_source_longer_than_kept_is_refused_not_cut(client, world, phone):
    r = _locks(client, world.tech, phone.id, {"frp": {"status": "clear", "source": "x" * 200}})
    assert r.status_code == 200
    from itad.errors import Invalid
    from itad.steps import locks

    with pytest.raises(Invalid, match="at most 200 characters"):
        locks.record_locks(db.session, world.tech.user, phone.id, {"frp": ("clear", "y" * 201)})
    db.session.rollback()
