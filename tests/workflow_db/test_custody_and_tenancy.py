"""The custody chain: verified by API and CLI, tampering named; and who may read what."""

from __future__ import annotations

import sqlalchemy as sa

from tests.append_only import unguarded

from itad.models import CustodyEvent
from tests.workflow_db.conftest import devices_of


def _history(bench, world, session, batch):
    for d in devices_of(session, batch):
        bench.receive(world.tech, d.serial)
        bench.wipe(world.tech, d.id)


def test_the_batch_chain_verifies_and_links_each_event_to_the_one_before(bench, world, batch, session):
    _history(bench, world, session, batch)
    events = bench.ok(world.acme, "GET", f"/batches/{batch.id}/custody")["items"]
    assert [e["seq"] for e in events] == list(range(1, 7))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:]))
    assert bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify") == {
        "batch_id": batch.id, "ok": True, "events": 6, "first_bad_event_id": None, "first_bad_seq": None,
        "reason": None}


def test_an_event_edited_in_the_database_is_named_by_verify(bench, world, batch, session):
    _history(bench, world, session, batch)
    target = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id, CustodyEvent.seq == 4))
    with unguarded(session.connection()):
        session.execute(sa.update(CustodyEvent).where(CustodyEvent.id == target.id).values(actor_label="Someone Else"))
    session.commit()
    report = bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")
    assert report["ok"] is False and report["first_bad_event_id"] == target.id and report["first_bad_seq"] == 4
    assert "altered" in report["reason"]


def test_the_cli_names_the_altered_event_and_exits_non_zero(bench, world, batch, session, app):
    _history(bench, world, session, batch)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify", "--batch", str(batch.id)])
    assert ok.exit_code == 0 and "ok, 6 events" in ok.output
    target = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id, CustodyEvent.seq == 2))
    with unguarded(session.connection()):
        session.execute(sa.update(CustodyEvent).where(CustodyEvent.id == target.id)
                        .values(evidence={"method": "destroy"}))
    session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"BROKEN at event {target.id} (seq 2)" in broken.output


def test_custody_verify_is_for_the_owner_and_the_operator(bench, world, batch):
    assert bench.get(world.tech, f"/batches/{batch.id}/custody/verify")[0] == 200
    assert bench.get(world.acme, f"/batches/{batch.id}/custody/verify")[0] == 200
    assert bench.get(world.globex, f"/batches/{batch.id}/custody/verify")[0] == 404


def test_a_client_of_another_organization_gets_404_on_devices_transitions_and_custody(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    for url in (f"/devices/{d.id}", f"/devices/{d.id}/custody", f"/devices/{d.id}/transitions",
                f"/batches/{batch.id}/custody", f"/batches/{batch.id}/policy"):
        assert bench.get(world.globex, url)[0] == 404, url
        assert bench.get(world.acme, url)[0] == 200, url
