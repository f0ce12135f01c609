"""Revoking a certificate takes the units it covers out of sellable stock at once."""

from __future__ import annotations


def test_revoking_the_certificate_withdraws_its_unit_from_stock_and_a_sale_is_refused(closed, bench, world):
    status, item = bench.call(world.tech, "POST", f"/devices/{closed.cleared.id}/list",
                              json={"location": "A-01-3", "list_price": "199.00"})
    assert status == 201, item
    assert item["status"] == "available"

    status, body = bench.call(world.admin, "POST", f"/certificates/{closed.certificate.id}/revoke",
                              json={"reason": "wrong drive serial on line 1"})
    assert status == 200, body

    assert bench.ok(world.tech, "GET", f"/inventory/{item['id']}")["status"] == "withdrawn"
    assert bench.device(world.tech, closed.cleared.id)["state"] == "quarantined"
    status, refused = bench.call(world.tech, "POST", f"/inventory/{item['id']}/sell", json={
        "price": "199.00", "currency": "EUR", "buyer_reference": "PO-1", "sold_on": "2026-11-01"})
    assert status == 409, refused
    assert "revoked" in refused["error"]["message"] or "revoked" in str(refused["error"]["details"])
