"""The client's locked devices: listed, opened, answered (re-check, or destroy after a confirmation)."""

from __future__ import annotations

import sqlalchemy as sa

from itad.models import Device, db
from itad.steps import locks, receiving
from tests.factories import make_batch


def _locked_phone(session, world):
    batch = make_batch(session, world.acme.org, reference="ACME-LOCKED", devices=1, category="phone")
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id))
    receiving.receive(session, world.tech.user, serial=device.serial, batch_id=batch.id)
    locks.record_locks(session, world.tech.user, device.id, {"activation_lock": ("locked", "Settings: Find My on")})
    session.commit()
    return device


def test_the_client_sees_its_locked_phone_and_asks_for_a_recheck(session, world, as_user):
    device = _locked_phone(session, world)
    acme = as_user(world.acme.user)
    listing = acme.text("/locked")
    assert device.serial in listing and "Activation Lock / Find My" in listing
    assert device.serial not in as_user(world.globex.user).text("/locked")
    page = acme.text(f"/devices/{device.id}")
    assert "locked: needs you" in page and "Settings: Find My on" in page
    acme.post(f"/devices/{device.id}/lock-answer", {"action": "recheck", "note": "removed from ABM"})
    db.session.expire_all()
    row = db.session.get(Device, device.id)
    assert row.locked is False and row.locks["activation_lock"]["status"] == "unknown"
    assert row.locks["client_instruction"]["note"] == "removed from ABM"


def test_asking_for_destruction_is_confirmed_first(session, world, as_user):
    device = _locked_phone(session, world)
    acme = as_user(world.acme.user)
    asked = acme.post(f"/devices/{device.id}/lock-answer", {"action": "destroy"}).get_data(as_text=True)
    assert f"Have {device.serial} destroyed?" in asked
    db.session.expire_all()
    assert "client_instruction" not in db.session.get(Device, device.id).locks
    acme.post(f"/devices/{device.id}/lock-answer", {"action": "destroy", "confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Device, device.id).locks["client_instruction"]["action"] == "destroy"
    # The bench sees the answer.
    assert "The client answered: destroy the unit" in as_user(world.tech.user).text(f"/bench/devices/{device.id}")
