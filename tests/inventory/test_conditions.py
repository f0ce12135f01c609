"""What a marketplace calls our grades: set by an admin, printed in that marketplace's listing feed; a grade it
has no condition for is left out of the feed and counted, never guessed."""

from __future__ import annotations

import csv
import io

from itad.inventory import conditions, stock
from tests.web.conftest import stock_units


def test_a_marketplace_feed_prints_its_condition_and_leaves_out_an_unmapped_grade(session, world, client):
    a = stock_units(session, world, 1, grade="A")[0]
    c = stock_units(session, world, 1, grade="C")[0]
    for unit in (a, c):
        stock.update_item(unit, list_price=stock.Decimal("300.00"))
    conditions.set_condition(session, world.admin.user, "BackMarket", "a", "Excellent")
    session.commit()
    r = client.get("/api/v1/inventory/listing.csv?currency=EUR&marketplace=backmarket", headers=world.admin.headers)
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(row["sku"], row["condition"]) for row in rows] == [(a.sku, "Excellent")]
    assert r.headers["X-Unmapped-SKUs"] == "1"
    plain = client.get("/api/v1/inventory/listing.csv?currency=EUR", headers=world.admin.headers)
    assert "condition" not in plain.get_data(as_text=True).splitlines()[0].split(",")


def test_only_an_admin_sets_a_condition_and_it_is_audited(session, world, client):
    body = {"marketplace": "backmarket", "grade": "B", "condition": "Good"}
    assert client.put("/api/v1/condition-mappings", json=body, headers=world.tech.headers).status_code == 403
    r = client.put("/api/v1/condition-mappings", json=body, headers=world.admin.headers)
    assert r.status_code == 200 and r.get_json()["condition"] == "Good"
    listed = client.get("/api/v1/condition-mappings", headers=world.tech.headers).get_json()["items"]
    assert [(m["marketplace"], m["grade"], m["condition"]) for m in listed] == [("backmarket", "B", "Good")]
    from itad.models import AuditEvent

    assert session.query(AuditEvent).filter_by(action="condition_mapping_changed").count() == 1
