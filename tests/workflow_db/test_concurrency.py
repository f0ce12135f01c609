"""Two technicians acting on one device at once: exactly one wins, the others get 409 with the state."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from itad.models import CustodyEvent, db
from tests.workflow_db.conftest import devices_of

PARALLEL = 6


@pytest.fixture
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes whole-database writes, so there is no row race to test "
                    "(run with DATABASE_URL=postgresql://...)")


def _race(app, requests):
    """Send the requests at the same instant, each from its own thread, app context and connection."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(i, party, url, body):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post("/api/v1" + url, json=body, headers=party.headers)
            answers[i] = (response.status_code, response.get_json())
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def test_parallel_destroys_of_one_device_have_one_winner_and_409s_naming_the_state(
        postgres_only, app, bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    parties = [world.tech, world.tech2, world.admin] * 2
    answers = _race(app, [(p, f"/devices/{d.id}/destroy", {"technique": "shred", "witness": f"w{i}"})
                          for i, p in enumerate(parties[:PARALLEL])])
    statuses = sorted(s for s, _ in answers)
    assert statuses == [200] + [409] * (PARALLEL - 1), answers
    for status, body in answers:
        if status == 409:
            assert body["error"]["details"]["state"] == "destroyed"
    session.expire_all()
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.device_id == d.id)).all()
    assert actions == ["receive", "destroy"]
    assert bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")["ok"]


def test_parallel_wipes_of_different_devices_in_one_batch_all_land_on_one_unbroken_chain(
        postgres_only, app, bench, world, batch, session):
    devices = devices_of(session, batch)
    for d in devices:
        bench.receive(world.tech, d.serial)
    answers = _race(app, [(world.tech, f"/devices/{d.id}/sanitizations",
                           {"method": "purge", "technique": "crypto_erase"}) for d in devices])
    assert [s for s, _ in answers] == [201] * len(devices), answers
    report = bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")
    assert report["ok"] and report["events"] == 2 * len(devices)


def test_a_writer_holding_an_old_version_gets_409_with_the_current_state_not_a_lost_update(
        postgres_only, app, world, batch, session, bench):
    """The version column is the last line: a step planned on a read that skipped the locks still cannot
    overwrite what another request committed meanwhile."""
    from sqlalchemy.orm import Session

    from itad.errors import Conflict
    from itad.models import utcnow
    from itad.steps.held import read
    from itad.steps.planning import Actor, Step, plan
    from itad.steps.writing import write

    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    with Session(db.engine) as late:
        held = read(late, [d.id])
        bench.ok(world.tech, "POST", f"/devices/{d.id}/destroy", {"technique": "shred"})
        device, now = held.devices[d.id], utcnow()
        planned = plan(held, device, Step("sanitize", {"medium_id": d.media[0].id, "method": "purge",
                                                       "technique": "crypto_erase"}),
                       Actor(world.tech.user.id, world.tech.user.name), now)
        with pytest.raises(Conflict) as refused:
            write(late, [planned], [device], now)
    assert refused.value.code == "concurrent_update"
    assert refused.value.details["state"] == "destroyed" and refused.value.details["version"] == 3
