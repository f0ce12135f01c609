"""A sold unit carries a warranty: months by channel and grade as an admin sets them (else the channel's for any
grade, else six months), its last day kept on the sale so later terms never change what a buyer was promised."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from itad.errors import Invalid
from itad.inventory import stock, warranty
from itad.models import AuditEvent
from tests.web.conftest import stock_units


def test_a_warranty_ends_the_day_before_the_same_date_months_later():
    assert warranty.until(date(2026, 1, 15), 6) == date(2026, 7, 14)
    assert warranty.until(date(2025, 8, 31), 6) == date(2026, 2, 27)      # 28 Feb 2026 is the last such date
    assert warranty.until(date(2026, 12, 1), 12) == date(2027, 11, 30)
    assert warranty.until(date(2026, 12, 1), 0) == date(2026, 12, 1)


def test_a_sale_takes_its_channel_and_grade_then_the_channels_any_grade_then_six_months(session, world):
    a, b, c = stock_units(session, world, 3, grade="B")
    warranty.set_term(session, world.admin.user, "backmarket", "B", 12)
    warranty.set_term(session, world.admin.user, "trade", None, 3)
    session.commit()
    sold = [stock.sell(session, world.admin.user, unit, price=Decimal("100.00"), currency="EUR",
                       buyer_reference=f"b{n}", sold_on=date(2026, 1, 15), channel=channel)
            for n, (unit, channel) in enumerate(((a, "BackMarket"), (b, "trade"), (c, "direct")))]
    session.commit()
    assert [(s.channel, s.warranty_until) for s in sold] == [
        ("backmarket", date(2027, 1, 14)), ("trade", date(2026, 4, 14)), ("direct", date(2026, 7, 14))]
    # A later change of terms does not touch what was promised.
    warranty.set_term(session, world.admin.user, "backmarket", "B", 1)
    session.commit()
    session.refresh(sold[0])
    assert sold[0].warranty_until == date(2027, 1, 14)
    assert session.query(AuditEvent).filter_by(action="warranty_term_changed").count() == 3


def test_a_term_out_of_range_is_refused_in_words(session, world):
    with pytest.raises(Invalid, match="0 to 60 months"):
        warranty.set_term(session, world.admin.user, "direct", None, 61)


def test_the_api_sets_terms_for_admins_only_and_a_sale_answers_with_its_warranty(session, world, client):
    [unit] = stock_units(session, world, 1, grade="A")
    r = client.put("/api/v1/warranty-terms", json={"channel": "ebay", "grade": "A", "months": 9},
                   headers=world.admin.headers)
    assert r.status_code == 200 and r.get_json()["months"] == 9
    assert client.put("/api/v1/warranty-terms", json={"channel": "ebay", "months": 9},
                      headers=world.tech.headers).status_code == 403
    sale = client.post(f"/api/v1/inventory/{unit.id}/sell", json={
        "price": "250.00", "currency": "EUR", "buyer_reference": "x", "sold_on": "2026-03-10", "channel": "ebay"},
        headers=world.admin.headers)
    assert sale.status_code == 201, sale.get_json()
    assert (sale.get_json()["channel"], sale.get_json()["warranty_until"]) == ("ebay", "2026-12-09")
    terms = client.get("/api/v1/warranty-terms", headers=world.tech.headers).get_json()
    assert terms["default_months"] == 6 and [t["channel"] for t in terms["items"]] == ["ebay"]


def test_setting_a_channels_any_grade_term_twice_changes_the_one_term(session, world):
    from itad.models import WarrantyTerm

    warranty.set_term(session, world.admin.user, "trade", None, 3)
    warranty.set_term(session, world.admin.user, "trade", "", 4)
    session.commit()
    assert [(t.grade, t.months) for t in session.query(WarrantyTerm).all()] == [(None, 4)]
    last = session.query(AuditEvent).filter_by(action="warranty_term_changed").order_by(AuditEvent.seq.desc()).first()
    assert (last.before, last.after) == ({"months": 3}, {"months": 4})
