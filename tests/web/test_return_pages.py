"""Returns in the pages: the admin takes a sold unit back from its stock page (a confirmation first, saying what the
refund does to the client's settlement), the bench re-grades it though its batch is closed, the returns list and the
quality report show it, and the client's device page says it came back."""

from __future__ import annotations

from datetime import date, timedelta

from itad.inventory import stock
from itad.models import Device, InventoryItem
from tests.workflow_db.conftest import Bench
from tests.web.conftest import stock_units


def test_an_admin_takes_a_unit_back_and_the_bench_regrades_it_after_the_batch_closed(session, world, as_user, client):
    [item] = stock_units(session, world, 1, grade="B")
    sold_on = date.today() - timedelta(days=10)
    stock.sell(session, world.admin.user, item, price=stock.Decimal("250.00"), currency="EUR",
               buyer_reference="marketplace order 77", sold_on=sold_on)
    session.commit()
    Bench(client, world).ok(world.admin, "POST", f"/batches/{item.batch_id}/close")
    admin = as_user(world.admin.user)
    page = admin.text(f"/admin/inventory/{item.id}")
    assert "Take it back (a return under warranty)" in page
    form = {"reason_code": "battery", "reason": "battery at 71%", "returned_on": date.today().isoformat()}
    asked = admin.post(f"/admin/inventory/{item.id}/return", form).get_data(as_text=True)
    assert "The buyer gets 250.00 EUR back" in asked and 'name="confirmed" value="1"' in asked
    session.expire_all()
    assert session.get(Device, item.device_id).state == "sold"          # nothing done before the confirmation
    done = admin.post(f"/admin/inventory/{item.id}/return", {**form, "confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/bench/devices/{item.device_id}")
    session.expire_all()
    assert session.get(Device, item.device_id).state == "returned"

    tech = as_user(world.tech.user)
    bench_page = tech.text(f"/bench/devices/{item.device_id}")
    assert "Grade" in bench_page and f"/bench/devices/{item.device_id}/grade" in bench_page
    assert 'name="buyer_data_erased"' in bench_page
    refused = tech.post(f"/bench/devices/{item.device_id}/grade", {"grade": "C"}, follow_redirects=True)
    assert "erased again before it is re-graded" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Device, item.device_id).state == "returned"
    assert tech.post(f"/bench/devices/{item.device_id}/grade",
                     {"grade": "C", "buyer_data_erased": "overwrite"}).status_code == 302
    session.expire_all()
    assert session.get(Device, item.device_id).state == "graded"
    assert "Returned, to re-test" in tech.text("/bench")

    listing = admin.text("/admin/returns")
    assert "marketplace order 77" in listing and "battery below what was promised" in listing.lower()
    quality = admin.text(f"/admin/quality?by=grade&start={sold_on}&end={date.today()}")
    assert "<th scope=\"row\">B</th>" in quality and "1/1" in quality
    assert session.get(InventoryItem, item.id).status == "returned"

    client_page = as_user(world.acme.user).text(f"/devices/{item.device_id}")
    assert "Returned" in client_page and "battery below what was promised" in client_page
    assert "Earlier grades" in client_page
    assert as_user(world.acme.user).get("/admin/returns").status_code in (403, 404)


def test_the_history_says_why_a_unit_came_back_and_what_it_was_graded_again():
    from itad.words import event_line

    assert event_line("return", {"reason": "battery", "details": "71%"}, {}) == \
        "Returned by its buyer: battery below what was promised (71%)"
    assert event_line("regrade", {"grade": "C"}, {}) == "Re-graded after a return: C"
    assert event_line("regrade", {"grade": "C", "buyer_data_erased": "factory_reset"}, {}) == \
        "Re-graded after a return: C; the buyer's data erased (Factory reset)"
    assert event_line("seal_checked", {"seal": "S-1", "result": "mismatched"}, {}) == \
        "Seal checked at the dock: S-1 another seal number"
    assert event_line("shipped_downstream", {"weight_kg": "40.00", "stream": "plastics", "vendor": "Good Metals",
                                             "purpose": "recycling"}, {}) == \
        "Shipped downstream: 40.00 kg of plastics to Good Metals (recycling)"
