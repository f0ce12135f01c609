"""The stock list's filters and cursor, and the two CSV files, parsed back."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from tests.factories import make_batch
from tests.inventory.conftest import clear, past_sale
from tests.workflow_db.conftest import devices_of


def _stock(bench, world, cleared, session):
    """Two grade-B units listed (one with an asking price), one grade-A unit listed and reserved."""
    a = bench.ok(world.tech, "POST", f"/devices/{cleared[0].id}/list", {"list_price": "310.00", "location": "A1"})
    b = bench.ok(world.tech, "POST", f"/devices/{cleared[1].id}/list", {"location": "A2"})
    return a, b


def test_the_list_filters_by_make_grade_status_batch_and_client_with_a_cursor(bench, world, session, cleared):
    a, b = _stock(bench, world, cleared, session)
    c = bench.ok(world.tech, "POST", f"/devices/{cleared[2].id}/list", {})
    bench.ok(world.tech, "POST", f"/inventory/{c['id']}/reserve", {"buyer_reference": "R1"})

    ids = lambda q: [i["id"] for i in bench.ok(world.tech, "GET", "/inventory" + q)["items"]]  # noqa: E731
    assert ids("?make=dell&grade=B&category=LAPTOP") == [a["id"], b["id"], c["id"]]
    assert ids("?status=reserved") == [c["id"]]
    assert ids(f"?batch_id={cleared[0].batch_id}&client_id={world.acme.org.id}") == [a["id"], b["id"], c["id"]]
    assert ids(f"?client_id={world.globex.org.id}") == [] and ids("?model=Latitude%207490") == []
    assert ids("?sku=laptop-dell-latitude-5490-b") == [a["id"], b["id"], c["id"]]

    first = bench.ok(world.tech, "GET", "/inventory?limit=2")
    assert [i["id"] for i in first["items"]] == [a["id"], b["id"]] and first["next_cursor"] == b["id"]
    rest = bench.ok(world.tech, "GET", f"/inventory?limit=2&cursor={first['next_cursor']}")
    assert [i["id"] for i in rest["items"]] == [c["id"]] and rest["next_cursor"] is None


def test_the_stock_csv_parses_back_row_for_row(bench, world, client, session, cleared):
    a, b = _stock(bench, world, cleared, session)
    r = client.get("/api/v1/inventory/export.csv?grade=B", headers=world.tech.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == [a["id"], b["id"]]
    assert rows[0]["serial"] == cleared[0].serial and rows[0]["client"] == "Acme Bank"
    assert rows[0]["batch_reference"] == "ACME-RESALE-1" and rows[0]["list_price"] == "310.00"
    assert rows[1]["list_price"] == "" and rows[1]["location"] == "A2" and rows[1]["status"] == "available"


def test_the_listing_feed_has_one_row_per_sku_priced_from_the_asking_price_or_real_sales(bench, world, client,
                                                                                         session, cleared):
    _stock(bench, world, cleared, session)
    # An HP unit with sales history and a Lenovo unit with none.
    batch = make_batch(session, world.acme.org, devices=2)
    hp, lenovo = devices_of(session, batch)
    hp.manufacturer, hp.model = "HP", "EliteBook 840 G5"
    lenovo.manufacturer, lenovo.model = "Lenovo", "T480"
    for price in ("150.00", "170.00"):
        past_sale(session, world.globex.org, manufacturer="HP", model="EliteBook 840 G5", grade="A", price=price,
                  sold_on=date.today() - timedelta(days=3))
    session.commit()
    for d in (hp, lenovo):
        clear(bench, world, d, grade="A")
        bench.ok(world.tech, "POST", f"/devices/{d.id}/list", {})

    r = client.get("/api/v1/inventory/listing.csv?currency=EUR", headers=world.tech.headers)
    assert r.status_code == 200 and r.headers["X-Unpriced-SKUs"] == "1"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert list(rows[0]) == ["sku", "title", "condition_grade", "price", "currency", "quantity"]
    by_sku = {row["sku"]: row for row in rows}
    assert set(by_sku) == {"LAPTOP-DELL-LATITUDE-5490-B", "LAPTOP-HP-ELITEBOOK-840-G5-A"}
    dell = by_sku["LAPTOP-DELL-LATITUDE-5490-B"]
    assert (dell["price"], dell["quantity"], dell["condition_grade"]) == ("310.00", "2", "B")
    assert dell["title"] == "Dell Latitude 5490 (laptop) - Grade B"
    assert by_sku["LAPTOP-HP-ELITEBOOK-840-G5-A"]["price"] == "160.00"    # median of 150 and 170
