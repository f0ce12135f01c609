"""Fixtures for the device workflow: a client batch on the bench and a small API driver."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import Party, World, make_batch


@dataclass
class Bench:
    """Calls the API as one party and returns (status, json)."""

    client: object
    world: World

    def call(self, party: Party, method: str, url: str, json=None, **kw):
        response = self.client.open("/api/v1" + url, method=method, json=json, headers=party.headers, **kw)
        return response.status_code, response.get_json()

    def post(self, party, url, json=None, **kw):
        return self.call(party, "POST", url, json=json if json is not None else {}, **kw)

    def get(self, party, url):
        return self.call(party, "GET", url)

    def ok(self, party, method, url, json=None):
        status, body = self.call(party, method, url, json=json if json is not None or method == "GET" else {})
        assert status in (200, 201), (status, body)
        return body

    # the bench steps, as a technician does them
    def receive(self, party, serial, batch_id=None):
        return self.ok(party, "POST", "/receive", {"serial": serial, "batch_id": batch_id})

    def wipe(self, party, device_id, medium_id=None, method="purge", technique="crypto_erase", **extra):
        return self.ok(party, "POST", f"/devices/{device_id}/sanitizations",
                       {"medium_id": medium_id, "method": method, "technique": technique, "tool": "nwipe",
                        "tool_version": "0.37", **extra})

    def verify(self, party, device_id, medium_id=None, passed=True):
        return self.ok(party, "POST", f"/devices/{device_id}/verifications",
                       {"medium_id": medium_id, "passed": passed})

    def wiped_and_verified(self, world, device, batch_id=None):
        """Received, wiped by one technician and verified by another: ready to grade."""
        self.receive(world.tech, device.serial, batch_id)
        self.wipe(world.tech, device.id)
        self.verify(world.tech2, device.id)

    def device(self, party, device_id):
        return self.ok(party, "GET", f"/devices/{device_id}")


@pytest.fixture
def bench(client, world):
    return Bench(client, world)


@pytest.fixture
def batch(session, world):
    """Acme's batch of three laptops, one SSD each."""
    b = make_batch(session, world.acme.org, devices=3)
    session.commit()
    return b


def devices_of(session, batch):
    from itad.models import Device
    import sqlalchemy as sa

    return session.scalars(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id)).all()
