"""Admin stock pages: filters and cursor pages, the suggested price from real sales, reserve / release /
sell with a price, listing a cleared device, refusals as messages, and the CSV and feed downloads."""

from __future__ import annotations

import csv
import io
from datetime import date

from itad.inventory import stock
import sqlalchemy as sa

from itad.models import Device, InventoryItem, Sale
from tests.inventory.conftest import past_sale
from tests.web.conftest import stock_units


def _item(session, item_id):
    session.expire_all()
    return session.get(InventoryItem, item_id)


def test_the_stock_list_filters_by_status_grade_model_and_sku(session, world, as_user):
    a, b = stock_units(session, world, 2)
    stock.reserve(session, world.admin.user, b, "buyer-9")
    session.commit()
    admin = as_user(world.admin.user)

    def units(query):
        page = admin.text(f"/admin/inventory?{query}")
        return {i for i in (a.id, b.id) if f'/admin/inventory/{i}"' in page}

    assert units("") == {a.id, b.id}
    assert units("status=reserved") == {b.id} and units("status=available") == {a.id}
    assert units("grade=b&model=latitude 5490") == {a.id, b.id} and units("grade=A") == set()
    assert units(f"sku={a.sku.lower()}") == {a.id, b.id} and units("sku=NOPE") == set()
    assert units(f"client={world.globex.org.id}") == set()


def test_the_stock_list_pages_with_a_cursor(session, world, as_user, monkeypatch):
    from itad.inventory import stock_pages

    monkeypatch.setattr(stock_pages, "STOCK_PAGE", 1)
    a, b = stock_units(session, world, 2)
    admin = as_user(world.admin.user)
    first = admin.text("/admin/inventory?status=available")
    assert f'/admin/inventory/{a.id}"' in first and f'/admin/inventory/{b.id}"' not in first
    second = admin.text(f"/admin/inventory?status=available&after={a.id}")
    assert f'/admin/inventory/{b.id}"' in second and f'/admin/inventory/{a.id}"' not in second
    assert f"after={a.id}" in first and "after=" not in second.split("Cleared, not yet in stock")[0]


def test_the_unit_page_suggests_the_median_of_real_sales_and_prefills_the_sale(session, world, as_user):
    [unit] = stock_units(session, world, 1)
    for price in ("300.00", "320.00", "400.00"):
        past_sale(session, world.globex.org, price=price, sold_on=date.today())
    session.commit()
    page = as_user(world.admin.user).text(f"/admin/inventory/{unit.id}")
    assert "320.00 EUR" in page and "median of 3 sales" in page and 'value="320.00"' in page
    listing = as_user(world.admin.user).text("/admin/inventory")
    assert "320.00 EUR" in listing


def test_an_admin_reserves_releases_and_sells_a_unit(session, world, as_user):
    [unit] = stock_units(session, world, 1)
    admin = as_user(world.admin.user)
    admin.post(f"/admin/inventory/{unit.id}/reserve", {"buyer_reference": "refurb-co"})
    assert _item(session, unit.id).status == "reserved"
    page = admin.post(f"/admin/inventory/{unit.id}/sell", {"price": "250", "currency": "EUR", "fee": "",
                      "buyer_reference": "someone-else", "sold_on": "2026-01-05", "confirmed": "1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "reserved for refurb-co" in page and _item(session, unit.id).status == "reserved"
    admin.post(f"/admin/inventory/{unit.id}/release")
    assert _item(session, unit.id).status == "available"
    r = admin.post(f"/admin/inventory/{unit.id}/sell", {"price": "250", "currency": "EUR", "fee": "12.50",
                   "buyer_reference": "someone-else", "sold_on": "2026-01-05", "confirmed": "1"}, follow_redirects=True)
    assert "sold to someone-else for 250.00 EUR" in r.get_data(as_text=True)
    sale = session.query(Sale).filter_by(item_id=unit.id).one()
    assert (str(sale.price), str(sale.fee), sale.sold_on) == ("250.00", "12.50", date(2026, 1, 5))
    assert _item(session, unit.id).status == "sold"


def test_selling_first_states_buyer_price_and_net_then_sells_on_confirmation(session, world, as_user):
    [unit] = stock_units(session, world, 1)
    admin = as_user(world.admin.user)
    form = {"price": "250", "currency": "EUR", "fee": "12.50", "buyer_reference": "refurb-co", "sold_on": "2026-01-05"}
    page = admin.post(f"/admin/inventory/{unit.id}/sell", form).get_data(as_text=True)
    assert "Sold to refurb-co for 250.00 EUR, less a channel fee of 12.50, on 2026-01-05." in page
    assert "counts 237.50 EUR as its net proceeds" in page and _item(session, unit.id).status == "available"
    assert "Sold through direct, grade B: a warranty of 6 month(s), until 2026-07-04." in page
    admin.post(f"/admin/inventory/{unit.id}/sell", {**form, "confirmed": "1"})
    assert _item(session, unit.id).status == "sold"


def test_a_price_with_three_decimals_or_a_withdrawn_unit_is_refused_with_the_reason(session, world, as_user):
    [unit] = stock_units(session, world, 1)
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/inventory/{unit.id}/sell", {"price": "99.999", "currency": "EUR",
                   "buyer_reference": "b", "sold_on": "2026-01-05", "confirmed": "1"})
    assert r.status_code == 400 and "more than two decimals" in r.get_data(as_text=True)
    stock.withdraw_from_stock(session, unit.device_id, "certificate revoked", world.admin.user)
    session.commit()
    page = admin.post(f"/admin/inventory/{unit.id}/sell", {"price": "99.00", "currency": "EUR",
                      "buyer_reference": "b", "sold_on": "2026-01-05", "confirmed": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "was withdrawn from stock (certificate revoked)" in page and _item(session, unit.id).status == "withdrawn"


def test_an_admin_lists_a_cleared_device(session, world, as_user):
    [device] = stock_units(session, world, 1, listed=False)
    admin = as_user(world.admin.user)
    assert device.serial in admin.text("/admin/inventory").split("Cleared, not yet in stock")[1]
    r = admin.post(f"/admin/devices/{device.id}/list", {"location": "B-2", "list_price": "310", "currency": "EUR"})
    item = stock.item_for_device(session, device.id)
    assert r.status_code == 302 and (item.location, str(item.list_price)) == ("B-2", "310.00")


def test_an_admin_lists_the_ticked_units_in_one_go_each_with_its_grade(session, world, as_user):
    from itad.models import CustodyEvent

    devices = stock_units(session, world, 3, grade="A", listed=False)
    admin = as_user(world.admin.user)
    awaiting = admin.text("/admin/inventory").split("Cleared, not yet in stock")[1]
    assert "<th scope=\"col\">Grade</th>" in awaiting and awaiting.count("<td>A</td>") == 3
    r = admin.post("/admin/inventory/list", {"device_id": [str(devices[0].id), str(devices[2].id)],
                                             "location": "C-1", "currency": "EUR"}, follow_redirects=True)
    assert "2 unit(s) listed in stock" in r.get_data(as_text=True)
    listed = [stock.item_for_device(session, d.id) for d in devices]
    assert [i.location if i else None for i in listed] == ["C-1", None, "C-1"]
    assert listed[0].grade == "A" and listed[0].sku.endswith("A")
    events = session.scalars(sa.select(CustodyEvent.device_id).where(CustodyEvent.action == "list")).all()
    assert sorted(events) == [devices[0].id, devices[2].id]


def test_a_bulk_listing_with_a_unit_not_cleared_lists_none_and_says_which(session, world, as_user):
    cleared = stock_units(session, world, 1, listed=False)[0]
    from tests.factories import make_batch

    other = make_batch(session, world.acme.org, reference="NOT-CLEARED", devices=1)
    session.commit()
    raw = session.scalar(sa.select(Device).where(Device.batch_id == other.id))
    page = as_user(world.admin.user).post("/admin/inventory/list", {"device_id": [str(cleared.id), str(raw.id)],
                                                                     "currency": "EUR"},
                                           follow_redirects=True).get_data(as_text=True)
    assert 'class="flash error"' in page and "only a cleared device can be listed" in page
    assert stock.item_for_device(session, cleared.id) is None


def test_the_stock_csv_and_the_marketplace_feed_download(session, world, as_user):
    a, b = stock_units(session, world, 2)
    stock.update_item(a, list_price=stock.Decimal("299.00"))
    session.commit()
    admin = as_user(world.admin.user)
    export = admin.get("/admin/inventory/export.csv?status=available")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert export.mimetype == "text/csv" and {int(r["id"]) for r in rows} == {a.id, b.id}
    feed = admin.get("/admin/inventory/listing.csv?currency=EUR")
    [row] = list(csv.DictReader(io.StringIO(feed.get_data(as_text=True))))
    assert (row["sku"], row["price"], row["quantity"]) == (a.sku, "299.00", "2")
    assert admin.get("/admin/inventory/listing.csv?currency=euro").status_code == 400


def test_an_admin_sets_a_warranty_term_on_the_stock_page(session, world, as_user):
    admin = as_user(world.admin.user)
    page = admin.post("/admin/inventory/warranty-terms", {"channel": "BackMarket", "grade": "a", "months": "12"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Units sold through backmarket (grade A) now carry 12 month(s) of warranty" in page
    table = page.split('<table class="warranty">')[1].split("</table>")[0]
    assert "<td>backmarket</td><td>A</td><td class=\"num\">12</td>" in table
    refused = admin.post("/admin/inventory/warranty-terms", {"channel": "x", "months": "99"},
                         follow_redirects=True).get_data(as_text=True)
    assert 'class="flash error"' in refused


def test_the_stock_page_sets_a_condition(session, world, as_user):
    page = as_user(world.admin.user).post("/admin/inventory/conditions", {
        "marketplace": "backmarket", "grade": "c", "condition": "Fair"}, follow_redirects=True).get_data(as_text=True)
    assert "our grade C is listed as" in page and "<td>backmarket</td><td>C</td><td>Fair</td>" in page


def test_the_stock_page_has_its_title_and_each_section_once(session, world, as_user):
    page = as_user(world.admin.user).text("/admin/inventory")
    assert "<title>Resale stock · ITAD</title>" in page
    assert page.count('id="conditions-h"') == 1 and page.count('id="warranty-h"') == 1
