"""A signing key, and a batch taken through the real workflow API to its close (which issues
the batch certificate through the closing hook, the job running inline after commit)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import current_app

from itad.certification import keys
from itad.models import Batch, Certificate, Device
from tests.factories import make_batch
from tests.workflow_db.conftest import Bench


@pytest.fixture
def bench(client, world):
    return Bench(client, world)


@pytest.fixture
def signing_key(session, world):
    key = keys.init_key(session, current_app.config, common_name="GreenCycle certificate signing",
                        organization="GreenCycle ITAD Ltd")
    session.commit()
    return key


@dataclass
class ClosedBatch:
    batch: Batch
    cleared: Device
    destroyed: Device
    missing: Device
    certificate: Certificate | None  # None when closed before any signing key existed


def close_a_batch(session, world, bench, devices: int = 3) -> ClosedBatch:
    """Acme's batch: the first unit wiped, verified by a second person, graded and cleared; the
    second destroyed; the rest never received (missing)."""
    batch = make_batch(session, world.acme.org, reference="ACME-PO-2026-17", devices=devices)
    session.commit()
    rows = session.scalars(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id)).all()
    first, second = rows[0], rows[1]
    bench.wiped_and_verified(world, first, batch.id)
    bench.ok(world.tech, "POST", f"/devices/{first.id}/grade", {"grade": "A"})
    bench.ok(world.tech, "POST", f"/devices/{first.id}/clear")
    bench.receive(world.tech, second.serial, batch.id)
    bench.ok(world.tech, "POST", f"/devices/{second.id}/destroy", {"technique": "shred", "witness": "Dana Kim"})
    bench.ok(world.admin, "POST", f"/batches/{batch.id}/close")
    session.expire_all()
    cert = session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch.id)).one_or_none()
    return ClosedBatch(batch, first, second, rows[2], cert)


@pytest.fixture
def closed(session, world, bench, signing_key) -> ClosedBatch:
    return close_a_batch(session, world, bench)
