"""Suggested prices rest on real sales: the median, its window, its fallbacks, and never a guess."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from itad.inventory.pricing import median, suggest, suggest_for_sku
from tests.factories import make_batch
from tests.inventory.conftest import past_sale

AS_OF = date(2025, 7, 1)
SKU_B = "LAPTOP-DELL-LATITUDE-5490-B"
SKU_A = "LAPTOP-DELL-LATITUDE-5490-A"


def days_ago(n):
    return AS_OF - timedelta(days=n)


@pytest.fixture
def history(session, world):
    org, batch = world.acme.org, make_batch(session, world.acme.org)
    for price, age in (("180.00", 3), ("200.00", 10), ("240.00", 40), ("190.00", 89)):
        past_sale(session, org, batch=batch, grade="B", price=price, sold_on=days_ago(age))
    past_sale(session, org, batch=batch, grade="B", price="999.00", sold_on=days_ago(90))   # just outside 90 days
    past_sale(session, org, batch=batch, grade="B", price="1.00", sold_on=AS_OF + timedelta(days=1))  # after as_of
    past_sale(session, org, batch=batch, grade="B", price="150.00", sold_on=days_ago(5), currency="USD")
    past_sale(session, org, batch=batch, grade="C", price="120.00", sold_on=days_ago(20))
    past_sale(session, org, batch=batch, grade="C", price="130.00", sold_on=days_ago(21))
    past_sale(session, org, batch=batch, model="Latitude 7490", grade="A", price="400.00", sold_on=days_ago(2))
    session.commit()


def test_the_median_of_an_odd_count_is_the_middle_and_of_an_even_count_the_mean_rounded_half_up():
    assert median([Decimal("3.00"), Decimal("1.00"), Decimal("2.00")]) == Decimal("2.00")
    assert median([Decimal("180.00"), Decimal("200.00"), Decimal("240.00"), Decimal("190.00")]) == Decimal("195.00")
    assert median([Decimal("100.01"), Decimal("100.02")]) == Decimal("100.02")     # 100.015 -> half up


def test_same_model_and_grade_in_the_window_gives_the_median_and_how_many_sales(session, history):
    s = suggest_for_sku(session, SKU_B, currency="EUR", as_of=AS_OF)
    assert (s.price, s.basis, s.sales_count) == (Decimal("195.00"), "model_and_grade", 4)
    assert (s.window_start, s.window_end) == (days_ago(89), AS_OF)


def test_a_shorter_window_counts_only_the_sales_inside_it(session, history):
    s = suggest_for_sku(session, SKU_B, currency="EUR", as_of=AS_OF, window_days=30)
    assert (s.price, s.sales_count) == (Decimal("190.00"), 2)         # 180 and 200


def test_only_the_most_recent_sales_count(session, history):
    s = suggest(session, manufacturer="Dell", model="Latitude 5490", grade="B", sku=SKU_B, currency="EUR",
                as_of=AS_OF, max_sales=3)
    assert (s.price, s.sales_count) == (Decimal("200.00"), 3)         # 180, 200, 240


def test_sales_in_another_currency_do_not_count(session, history):
    s = suggest_for_sku(session, SKU_B, currency="USD", as_of=AS_OF)
    assert (s.price, s.basis, s.sales_count) == (Decimal("150.00"), "model_and_grade", 1)


def test_a_grade_never_sold_falls_back_to_the_model_in_any_grade(session, history):
    s = suggest(session, manufacturer="DELL", model="latitude 5490", grade="A", sku=SKU_A, currency="EUR",
                as_of=AS_OF)
    # B: 180, 190, 200, 240 and C: 120, 130 -> 120 130 180 190 200 240 -> (180 + 190) / 2
    assert (s.price, s.basis, s.sales_count) == (Decimal("185.00"), "model", 6)


def test_with_no_sale_of_the_model_there_is_no_price(session, history):
    s = suggest(session, manufacturer="HP", model="EliteBook 840 G5", grade="B", sku="LAPTOP-HP-ELITEBOOK-840-G5-B",
                currency="EUR", as_of=AS_OF)
    assert (s.price, s.basis, s.sales_count) == (None, "none", 0)
    assert suggest_for_sku(session, "NO-SUCH-SKU", currency="EUR", as_of=AS_OF).price is None
    old = suggest_for_sku(session, SKU_B, currency="EUR", as_of=AS_OF + timedelta(days=400))
    assert (old.price, old.basis) == (None, "none")


def test_the_api_answers_with_the_price_as_a_string_and_its_basis(bench, world, history):
    body = bench.ok(world.tech, "GET", f"/pricing/suggestion?sku={SKU_B}&currency=EUR&as_of={AS_OF.isoformat()}")
    assert body["price"] == "195.00" and body["basis"] == "model_and_grade" and body["sales_count"] == 4
    none = bench.ok(world.tech, "GET", f"/pricing/suggestion?sku=NOPE&as_of={AS_OF.isoformat()}")
    assert none["price"] is None and none["basis"] == "none"
