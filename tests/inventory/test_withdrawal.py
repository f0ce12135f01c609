"""withdraw_from_stock: the path certificate revocation and sanitization reopening call."""

from __future__ import annotations

import sqlalchemy as sa

from itad.inventory.stock import withdraw_from_stock
from itad.models import CustodyEvent, Device, InventoryItem, db
from tests.workflow_db.conftest import devices_of

REASON = "certificate CS-2025-0042 revoked: wrong tool version"


def _listed(bench, world, device_id):
    return bench.ok(world.tech, "POST", f"/devices/{device_id}/list", {})


def test_a_listed_unit_is_withdrawn_at_once_and_a_sale_then_answers_409_with_the_reason(bench, world, session, cleared):
    item = _listed(bench, world, cleared[0].id)
    result = withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user)
    session.commit()
    assert (result.outcome, result.state, result.item_id) == ("withdrawn", "quarantined", item["id"])
    row = session.get(InventoryItem, item["id"])
    assert row.status == "withdrawn" and row.withdrawn_reason == REASON

    status, body = bench.post(world.tech, f"/inventory/{item['id']}/sell",
                              {"price": "100.00", "currency": "EUR", "buyer_reference": "B1", "sold_on": "2025-07-01"})
    assert status == 409
    assert body["error"]["code"] == "withdrawn_from_stock"
    assert body["error"]["details"]["reason"] == REASON and REASON in body["error"]["message"]
    assert bench.device(world.tech, cleared[0].id)["state"] == "quarantined"
    assert bench.post(world.tech, f"/inventory/{item['id']}/reserve", {"buyer_reference": "B1"})[0] == 409


def test_a_sale_of_a_withdrawn_unit_since_destroyed_names_the_state_it_is_in(bench, world, session, cleared):
    # Found by the bench property test: the refusal always said "quarantined".
    item = _listed(bench, world, cleared[0].id)
    withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user)
    session.commit()
    bench.ok(world.tech, "POST", f"/devices/{cleared[0].id}/destroy", {"technique": "shred"})
    status, body = bench.post(world.tech, f"/inventory/{item['id']}/sell",
                              {"price": "100.00", "currency": "EUR", "buyer_reference": "B1", "sold_on": "2025-07-01"})
    assert status == 409 and body["error"]["details"]["state"] == "destroyed"


def test_withdrawal_is_a_custody_event_carrying_the_reason(bench, world, session, cleared):
    _listed(bench, world, cleared[0].id)
    withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user)
    session.commit()
    last = session.scalars(sa.select(CustodyEvent).where(CustodyEvent.device_id == cleared[0].id)
                           .order_by(CustodyEvent.seq.desc())).first()
    assert (last.action, last.from_state, last.to_state) == ("withdraw", "in_inventory", "quarantined")
    assert last.evidence["reason"] == REASON and last.actor_id == world.admin.user.id


def test_a_cleared_unit_not_yet_listed_is_withdrawn_and_can_then_never_be_listed(bench, world, session, cleared):
    result = withdraw_from_stock(session, cleared[1].id, "sanitization reopened", world.admin.user)
    session.commit()
    assert (result.outcome, result.item_id) == ("withdrawn", None)
    status, body = bench.post(world.tech, f"/devices/{cleared[1].id}/list", {})
    assert status == 409 and body["error"]["details"]["state"] == "quarantined"


def test_withdrawing_twice_is_harmless_and_says_so(world, session, cleared):
    assert withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user).outcome == "withdrawn"
    again = withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user)
    session.commit()
    assert again.outcome == "already_withdrawn"
    events = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.device_id == cleared[0].id)).all()
    assert events.count("withdraw") == 1


def test_a_sold_unit_is_reported_sold_and_left_alone(bench, world, session, cleared):
    item = _listed(bench, world, cleared[0].id)
    bench.ok(world.tech, "POST", f"/inventory/{item['id']}/sell",
             {"price": "100.00", "currency": "EUR", "buyer_reference": "B1", "sold_on": "2025-07-01"})
    result = withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user)
    assert (result.outcome, result.state) == ("sold", "sold")
    assert session.get(InventoryItem, item["id"]).status == "sold"


def test_a_unit_still_on_the_bench_is_not_in_stock(bench, world, session, acme_batch):
    d = devices_of(session, acme_batch)[0]
    bench.receive(world.tech, d.serial)
    result = withdraw_from_stock(session, d.id, REASON, world.admin.user)
    assert (result.outcome, result.state) == ("not_in_stock", "received")


def test_withdrawal_works_after_the_batch_closed(bench, world, session, cleared):
    item = _listed(bench, world, cleared[0].id)
    bench.ok(world.admin, "POST", f"/batches/{cleared[0].batch_id}/close")
    assert withdraw_from_stock(session, cleared[0].id, REASON, world.admin.user).outcome == "withdrawn"
    session.commit()
    assert session.get(InventoryItem, item["id"]).status == "withdrawn"


def test_the_withdraw_endpoint_takes_a_reason_and_is_for_the_operator(bench, world, cleared):
    assert bench.post(world.tech, f"/devices/{cleared[0].id}/withdraw", {"reason": ""})[0] == 422
    assert bench.post(world.acme, f"/devices/{cleared[0].id}/withdraw", {"reason": "x"})[0] == 403
    body = bench.ok(world.admin, "POST", f"/devices/{cleared[0].id}/withdraw", {"reason": "damaged in storage"})
    assert body["outcome"] == "withdrawn" and body["state"] == "quarantined"
