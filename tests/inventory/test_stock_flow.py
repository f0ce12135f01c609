"""Cleared units enter stock and are sold through the workflow, each move in the custody chain."""

from __future__ import annotations

import sqlalchemy as sa

from itad.models import Batch, CustodyEvent, InventoryItem
from itad.steps import custody


def _list(bench, party, device_id, **body):
    return bench.call(party, "POST", f"/devices/{device_id}/list", json={"location": "A-01-3", **body})


def _sell(bench, party, item_id, **body):
    sale = {"price": "249.00", "currency": "EUR", "buyer_reference": "PO-7781", "sold_on": "2025-07-01", **body}
    return bench.call(party, "POST", f"/inventory/{item_id}/sell", json=sale)


def test_a_cleared_laptop_is_listed_then_sold_with_list_and_sell_in_its_custody_chain(bench, world, session, cleared):
    d = cleared[0]
    status, item = _list(bench, world.tech, d.id, list_price="279.00")
    assert status == 201, item
    assert item["sku"] == "LAPTOP-DELL-LATITUDE-5490-B" and item["status"] == "available"
    assert item["list_price"] == "279.00" and item["location"] == "A-01-3"
    assert item["specs"]["grade"] == "B" and item["specs"]["functional_checks"]["boots"] is True
    assert item["specs"]["manifest"]["cpu"] == "i5-8350U"
    assert item["specs"]["media"][0]["sanitization"] == "purge"
    assert bench.device(world.tech, d.id)["state"] == "in_inventory"

    status, sale = _sell(bench, world.tech, item["id"], fee="12.45")
    assert status == 201, sale
    assert sale["price"] == "249.00" and sale["fee"] == "12.45" and sale["currency"] == "EUR"
    assert bench.device(world.tech, d.id)["state"] == "sold"
    assert bench.ok(world.tech, "GET", f"/inventory/{item['id']}")["status"] == "sold"

    events = session.scalars(sa.select(CustodyEvent).where(CustodyEvent.device_id == d.id)
                             .order_by(CustodyEvent.seq)).all()
    assert [e.action for e in events][-3:] == ["clear", "list", "sell"]
    assert (events[-1].from_state, events[-1].to_state) == ("in_inventory", "sold")
    assert events[-1].evidence["price"] == "249.00" and events[-1].evidence["buyer_reference"] == "PO-7781"
    assert custody.verify_batch(session, d.batch_id)["ok"] is True


def test_a_sold_unit_cannot_be_sold_twice(bench, world, cleared):
    item = _list(bench, world.tech, cleared[0].id)[1]
    assert _sell(bench, world.tech, item["id"])[0] == 201
    status, body = _sell(bench, world.tech, item["id"], buyer_reference="PO-7781")
    assert status == 409 and body["error"]["details"]["state"] == "sold"


def test_a_device_not_yet_cleared_cannot_be_listed(bench, world, session, acme_batch):
    from tests.workflow_db.conftest import devices_of

    d = devices_of(session, acme_batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = _list(bench, world.tech, d.id)
    assert status == 409
    assert body["error"]["details"]["state"] == "received" and "clear" in body["error"]["details"]["needs"]


def test_the_batch_closes_with_units_in_stock_and_they_are_still_sold_after_close(bench, world, session, cleared):
    item = _list(bench, world.tech, cleared[0].id)[1]
    assert bench.ok(world.admin, "POST", f"/batches/{cleared[0].batch_id}/close")["status"] == "closed"
    assert session.get(Batch, cleared[0].batch_id).status == "closed"
    assert _list(bench, world.tech, cleared[1].id)[0] == 201
    assert _sell(bench, world.tech, item["id"])[0] == 201


def test_a_reserved_unit_sells_only_to_its_buyer_until_released(bench, world, cleared):
    item = _list(bench, world.tech, cleared[0].id)[1]
    held = bench.ok(world.tech, "POST", f"/inventory/{item['id']}/reserve", {"buyer_reference": "ACME-RESELLER"})
    assert held["status"] == "reserved" and held["reserved_for"] == "ACME-RESELLER"
    status, body = bench.post(world.tech, f"/inventory/{item['id']}/reserve", {"buyer_reference": "OTHER"})
    assert status == 409 and body["error"]["code"] == "not_available"
    status, body = _sell(bench, world.tech, item["id"], buyer_reference="SOMEONE-ELSE")
    assert status == 409 and body["error"]["code"] == "reserved_for_another_buyer"
    assert bench.ok(world.tech, "POST", f"/inventory/{item['id']}/release")["status"] == "available"
    assert bench.post(world.tech, f"/inventory/{item['id']}/release")[0] == 409
    assert _sell(bench, world.tech, item["id"], buyer_reference="SOMEONE-ELSE")[0] == 201


def test_amounts_are_strings_with_two_decimals_and_floats_are_refused(bench, world, cleared):
    item = _list(bench, world.tech, cleared[0].id)[1]
    for bad in (249.0, "249.001", "NaN", "abc", "-5.00"):
        status, body = _sell(bench, world.tech, item["id"], price=bad)
        assert status == 422, (bad, body)
    status, body = _sell(bench, world.tech, item["id"], price="10.00", fee="10.01")
    assert status == 422 and body["error"]["code"] == "invalid_fee"
    assert _sell(bench, world.tech, item["id"], price="249.5", currency="eur")[0] == 422
    assert _sell(bench, world.tech, item["id"], price="249.5")[1]["price"] == "249.50"


def test_clients_cannot_touch_stock(bench, world, cleared):
    assert _list(bench, world.acme, cleared[0].id)[0] == 403
    assert bench.get(world.acme, "/inventory")[0] == 403


def test_stock_rows_point_at_their_client_and_batch(bench, world, session, cleared):
    item = _list(bench, world.tech, cleared[0].id)[1]
    row = session.get(InventoryItem, item["id"])
    assert row.organization_id == world.acme.org.id and row.batch_id == cleared[0].batch_id
