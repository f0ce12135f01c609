"""Returns (RMA): a sold unit comes back under its warranty with the reason, long after its batch closed; it is
re-graded, cleared, listed and sold again on the same custody chain; the refund comes off the client's
settlement; and the quality report counts returns by grade, category, model and grading technician."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from itad.inventory import returns, settlement, stock
from itad.models import CustodyEvent, Device, DeviceGrading, InventoryItem, Sale, SaleReturn, StorageMedium
from tests.factories import make_batch, phone_grade
from tests.workflow_db.conftest import devices_of
from workflows.mobile import LOCK_KINDS

TODAY = date.today()
SOLD_ON = TODAY - timedelta(days=30)


def _sell(bench, world, item_id: int, price="300.00", fee="30.00", sold_on=SOLD_ON, buyer="buyer-1"):
    return bench.ok(world.admin, "POST", f"/inventory/{item_id}/sell", {
        "price": price, "currency": "EUR", "buyer_reference": buyer, "sold_on": sold_on.isoformat(), "fee": fee})


def _return(bench, party, sale_id: int, **body):
    return bench.call(party, "POST", f"/sales/{sale_id}/return",
                      {"reason_code": "defective", "returned_on": TODAY.isoformat(), **body})


@pytest.fixture
def sold(session, bench, world, cleared):
    """Acme's three laptops listed and sold (30 days ago, six months' warranty), the batch closed."""
    items = [stock.list_device(session, world.admin.user, d) for d in cleared]
    session.commit()
    sales = [_sell(bench, world, item.id, buyer=f"buyer-{n}") for n, item in enumerate(items)]
    assert bench.ok(world.admin, "POST", f"/batches/{cleared[0].batch_id}/close")["status"] == "closed"
    return cleared, items, sales


def test_a_unit_comes_back_after_its_batch_closed_and_goes_round_again_on_the_same_chain(session, bench, world, sold):
    devices, items, sales = sold
    status, body = _return(bench, world.admin, sales[0]["id"], reason="screen flickers")
    assert status == 201, body
    assert (body["refund"], body["fee_returned"], body["reason_code"]) == ("300.00", "30.00", "defective")
    device_id = devices[0].id
    session.expire_all()
    assert session.get(Device, device_id).state == "returned"
    assert session.get(InventoryItem, items[0].id).status == "returned"
    event = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.device_id == device_id,
                                                         CustodyEvent.action == "return"))
    assert (event.from_state, event.to_state) == ("sold", "returned")
    assert event.evidence["reason"] == "defective" and event.evidence["details"] == "screen flickers"
    assert event.evidence["sale_id"] == sales[0]["id"] and event.evidence["refund"] == "300.00"

    # Re-tested at the bench though the batch is closed: a second grading, then cleared and listed again.
    # What the buyer put on it is erased first: a re-grade without saying how is refused, and names what works.
    status, body = bench.post(world.tech2, f"/devices/{device_id}/grade", {"grade": "C"})
    assert status == 409 and "erased again before it is re-graded" in body["error"]["message"]
    assert "overwrite" in body["error"]["message"]
    bench.ok(world.tech2, "POST", f"/devices/{device_id}/grade",
             {"grade": "C", "notes": "screen replaced", "buyer_data_erased": "overwrite"})
    bench.ok(world.tech2, "POST", f"/devices/{device_id}/clear")
    session.expire_all()
    gradings = session.scalars(sa.select(DeviceGrading).where(DeviceGrading.device_id == device_id)
                               .order_by(DeviceGrading.id)).all()
    assert [g.grade for g in gradings] == ["B", "C"]
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.device_id == device_id)
                              .order_by(CustodyEvent.seq)).all()
    assert actions[-3:] == ["return", "regrade", "clear"]
    regrade = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.device_id == device_id,
                                                           CustodyEvent.action == "regrade"))
    assert regrade.evidence["buyer_data_erased"] == "overwrite" and regrade.evidence["grade"] == "C"
    again = stock.list_device(session, world.admin.user, session.get(Device, device_id))
    session.commit()
    assert again.id != items[0].id and again.grade == "C" and again.sku.endswith("-C")
    resale = _sell(bench, world, again.id, price="180.00", fee="0.00", sold_on=TODAY, buyer="buyer-9")
    first, second = session.scalars(sa.select(Sale).where(Sale.device_id == device_id).order_by(Sale.id)).all()
    assert (first.grading_id, second.grading_id) == (gradings[0].id, gradings[1].id)
    assert resale["id"] == second.id
    # The chain of the closed batch still verifies end to end.
    assert bench.ok(world.admin, "GET", f"/batches/{devices[0].batch_id}/custody/verify")["ok"] is True


def test_a_return_after_the_warranty_ended_is_refused_and_says_when_it_ended(session, bench, world, cleared):
    item = stock.list_device(session, world.admin.user, cleared[0])
    session.commit()
    sale = _sell(bench, world, item.id, sold_on=TODAY - timedelta(days=400))
    status, body = _return(bench, world.admin, sale["id"])
    assert status == 409 and body["error"]["code"] == "transition_refused"
    assert f"warranty ended on {sale['warranty_until']}" in body["error"]["message"]
    session.expire_all()
    assert session.get(Device, cleared[0].id).state == "sold"
    assert session.scalar(sa.select(sa.func.count()).select_from(SaleReturn)) == 0


@pytest.mark.parametrize("body, code", [
    ({"reason_code": "lost_interest"}, "unknown_return_reason"),
    ({"reason_code": "other"}, "return_reason_missing"),
    ({"refund": "300.01"}, "invalid_refund"),
    ({"refund": "100.00", "fee_returned": "30.01"}, "invalid_fee_returned"),
    ({"returned_on": (SOLD_ON - timedelta(days=1)).isoformat()}, "returned_before_sale"),
    ({"returned_on": (TODAY + timedelta(days=1)).isoformat()}, "returned_in_future"),
])
def test_a_return_out_of_shape_is_refused_in_words_and_changes_nothing(session, bench, world, sold, body, code):
    _, items, sales = sold
    status, out = _return(bench, world.admin, sales[0]["id"], **body)
    assert status == 422 and out["error"]["code"] == code, out
    session.expire_all()
    assert session.get(InventoryItem, items[0].id).status == "sold"


def test_a_sale_is_returned_once_and_only_by_an_operator(session, bench, world, sold):
    _, _, sales = sold
    assert _return(bench, world.acme, sales[1]["id"])[0] == 403
    assert _return(bench, world.admin, sales[1]["id"])[0] == 201
    status, body = _return(bench, world.admin, sales[1]["id"])
    assert status == 409 and body["error"]["code"] == "already_returned"
    assert _return(bench, world.admin, 999999)[0] == 404


def test_the_refund_comes_off_the_clients_settlement(session, bench, world, sold):
    devices, _, sales = sold
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/settlement-terms",
             {"client_share_percent": "50.00"})
    # A partial refund (the buyer kept it at a discount): the channel keeps its fee.
    assert _return(bench, world.admin, sales[0]["id"], refund="60.00", reason_code="cosmetic")[0] == 201
    body = bench.ok(world.acme, "GET", f"/batches/{devices[0].batch_id}/settlement")
    [total] = body["totals"]
    # 3 x 300 gross; fees 3 x 30 (none given back); refunds 60; net 900 - 90 - 60 = 750
    assert (total["gross"], total["fees"], total["refunds"], total["net"], total["client_share"]) == (
        "900.00", "90.00", "60.00", "750.00", "375.00")
    assert total["units_returned"] == 1
    line = next(x for x in body["lines"] if x["sale_id"] == sales[0]["id"])
    assert (line["refund"], line["fee_returned"], line["returned_on"]) == ("60.00", "0.00", TODAY.isoformat())
    # A full refund gives the channel's fee back by default: that sale nets nothing.
    assert _return(bench, world.admin, sales[1]["id"])[0] == 201
    [total] = bench.ok(world.acme, "GET", f"/batches/{devices[0].batch_id}/settlement")["totals"]
    assert (total["fees"], total["refunds"], total["net"]) == ("60.00", "360.00", "480.00")


def test_the_database_holds_one_live_stock_row_per_device(session, world, sold):
    devices, items, _ = sold
    session.add(InventoryItem(device_id=devices[2].id, batch_id=devices[2].batch_id,
                              organization_id=devices[2].organization_id, sku="X", status="available"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()
    session.rollback()


def test_a_returned_phone_is_checked_for_locks_again_before_it_is_cleared(session, bench, world, client):
    batch = make_batch(session, world.acme.org, reference="ACME-PHONE-RMA", devices=1, category="phone")
    session.commit()
    [phone] = devices_of(session, batch)
    session.execute(sa.update(StorageMedium).where(StorageMedium.device_id == phone.id).values(media_type="mobile"))
    session.commit()
    clear_all = {k: {"status": "clear", "source": "Settings and GSMA lookup"} for k in LOCK_KINDS}
    bench.wiped_and_verified(world, phone)
    bench.ok(world.tech, "POST", f"/devices/{phone.id}/grade", phone_grade("A"))
    bench.ok(world.tech, "POST", f"/devices/{phone.id}/locks", {"checks": clear_all})
    bench.ok(world.tech, "POST", f"/devices/{phone.id}/clear")
    item = bench.ok(world.admin, "POST", f"/devices/{phone.id}/list", {})
    sale = _sell(bench, world, item["id"])
    bench.ok(world.admin, "POST", f"/batches/{batch.id}/close")
    assert _return(bench, world.admin, sale["id"], reason_code="locked")[0] == 201
    session.expire_all()
    assert {k: v["status"] for k, v in session.get(Device, phone.id).locks.items() if k in LOCK_KINDS} == \
        dict.fromkeys(LOCK_KINDS, "unknown")
    # Graded by letter alone is refused for a phone: its checklist is compulsory, on a re-grade too.
    status, body = bench.post(world.tech, f"/devices/{phone.id}/grade", {"grade": "B"})
    assert status == 422 and body["error"]["code"] == "checks_required"
    bench.ok(world.tech, "POST", f"/devices/{phone.id}/grade", {**phone_grade("B"), "buyer_data_erased": "factory_reset"})
    status, body = bench.post(world.tech, f"/devices/{phone.id}/clear")
    assert status == 409 and "Activation Lock / Find My" in body["error"]["message"]
    bench.ok(world.tech, "POST", f"/devices/{phone.id}/locks", {"checks": clear_all})
    assert bench.post(world.tech, f"/devices/{phone.id}/clear")[0] == 200


def test_a_closed_batch_still_refuses_bench_steps_on_units_that_did_not_come_back(session, bench, world, sold):
    devices, _, _ = sold
    status, body = bench.post(world.tech, f"/devices/{devices[2].id}/grade", {"grade": "A"})
    assert status == 409 and body["error"]["code"] == "batch_closed"


def test_the_quality_report_counts_returns_by_grade_and_by_the_technician_whose_grade_was_sold(
        session, bench, world):
    batch = make_batch(session, world.acme.org, reference="ACME-QUALITY", devices=4)
    session.commit()
    devices = devices_of(session, batch)
    for n, (device, grade) in enumerate(zip(devices, ["A", "A", "B", "B"])):
        bench.wiped_and_verified(world, device)
        grader = world.tech if n < 2 else world.tech2
        bench.ok(grader, "POST", f"/devices/{device.id}/grade", {"grade": grade})
        bench.ok(grader, "POST", f"/devices/{device.id}/clear")
    session.expire_all()
    items = stock.list_devices(session, world.admin.user, devices_of(session, batch))
    session.commit()
    sales = [_sell(bench, world, item.id, buyer=f"q{n}") for n, item in enumerate(items)]
    assert _return(bench, world.admin, sales[0]["id"], reason_code="cosmetic")[0] == 201
    assert _return(bench, world.admin, sales[2]["id"], reason_code="changed_mind")[0] == 201

    report = returns.quality(session, by="grade", start=SOLD_ON, end=TODAY)
    assert {g: (r.sales, r.returns, r.grading_returns) for g, r in report.groups.items()} == {
        "A": (2, 1, 1), "B": (2, 1, 0)}
    assert report.overall.under_warranty == 2 and report.months == [SOLD_ON.strftime("%Y-%m")]
    by_tech = bench.ok(world.admin, "GET", f"/quality/returns?by=technician&start={SOLD_ON}&end={TODAY}")
    rows = {g["group"]: (g["sales"], g["returns"], g["rate"], g["reasons"]) for g in by_tech["groups"]}
    assert rows == {world.tech.user.name: (2, 1, 0.5, {"cosmetic": 1}),
                    world.tech2.user.name: (2, 1, 0.5, {"changed_mind": 1})}
    assert bench.call(world.acme, "GET", "/quality/returns")[0] == 403
    assert bench.call(world.admin, "GET", "/quality/returns?by=colour")[0] == 422
