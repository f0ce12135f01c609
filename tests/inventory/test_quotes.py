"""Buy quotes: the estimate follows a falling market, learns grade premiums, falls back model -> family ->
category saying so; a batch's quote is written line by line; accuracy sets each sale against the latest quote
made before it; the API and the pages keep to the tenant rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from itad.inventory import quotes
from itad.inventory.estimate import Estimator, Sold, family_of
from itad.models import Quote, QuoteLine
from tests.factories import make_batch
from tests.inventory.conftest import past_sale

AS_OF = date(2026, 6, 1)


def _falling(model="DELL|LATITUDE-5490", start=500.0, loss=0.03, months=10, grade="B", category="laptop"):
    """Four sales a month, each month `loss` cheaper than the last."""
    out = []
    for m in range(months):
        day = AS_OF - timedelta(days=30 * (months - m))
        price = start * (1 - loss) ** m
        out += [Sold(day + timedelta(days=d), category, model, grade, round(price, 2)) for d in (1, 8, 15, 22)]
    return out


def test_a_falling_model_is_quoted_below_its_recent_average_at_the_trend():
    sales = _falling()
    found = Estimator(sales, AS_OF).estimate("laptop", "DELL|LATITUDE-5490")
    last_month = [s.price for s in sales if (AS_OF - s.sold_on).days <= 30]
    assert found.basis == "model" and found.sales == len(sales)
    assert found.value < min(last_month)                     # the trend goes on past the last sale
    expected = 500 * 0.97 ** (10 - 1 + 1.2)                  # about one month on, at the horizon
    assert abs(found.value - expected) / expected < 0.03


def test_grade_premiums_are_learnt_so_a_run_of_a_grades_does_not_lift_the_quote():
    even = [Sold(AS_OF - timedelta(days=d), "laptop", "HP|ELITEBOOK-840", g, p)
            for d in range(5, 60, 5) for g, p in (("A", 460.0), ("B", 400.0), ("C", 320.0))]
    a_heavy = even + [Sold(AS_OF - timedelta(days=2), "laptop", "HP|ELITEBOOK-840", "A", 460.0)] * 6
    plain = Estimator(even, AS_OF).estimate("laptop", "HP|ELITEBOOK-840").value
    heavy = Estimator(a_heavy, AS_OF).estimate("laptop", "HP|ELITEBOOK-840").value
    # The A sales are made grade-neutral before the price is estimated: the quote barely moves.
    assert abs(heavy - plain) / plain < 0.04


def test_a_price_step_is_followed_once_recent_sales_show_it():
    before = [Sold(AS_OF - timedelta(days=d), "phone", "APPLE|IPHONE-12", "B", 400.0) for d in range(40, 200, 4)]
    after = [Sold(AS_OF - timedelta(days=d), "phone", "APPLE|IPHONE-12", "B", 300.0) for d in range(2, 30, 3)]
    value = Estimator(before + after, AS_OF).estimate("phone", "APPLE|IPHONE-12").value
    assert value < 330      # near the new level, though most sales were at the old one


def test_without_the_models_sales_the_family_then_the_category_is_used_and_said():
    sales = _falling(model="DELL|LATITUDE-5490")
    estimator = Estimator(sales, AS_OF)
    assert family_of("DELL|LATITUDE-7420") == "DELL|LATITUDE"
    assert estimator.estimate("laptop", "DELL|LATITUDE-7420").basis == "family"
    assert estimator.estimate("laptop", "HP|ELITEBOOK-840").basis == "category"
    nothing = estimator.estimate("phone", "APPLE|IPHONE-15")
    assert (nothing.value, nothing.basis, nothing.sales) == (None, "none", 0)


def test_sales_on_or_after_the_quote_day_are_never_used():
    sales = _falling() + [Sold(AS_OF, "laptop", "DELL|LATITUDE-5490", "B", 9999.0)]
    assert Estimator(sales, AS_OF).estimate("laptop", "DELL|LATITUDE-5490").value < 500


@pytest.fixture
def history(session, world):
    """Globex's past sales of the Latitude 5490 (the factory's model) at 200 each, a week apart."""
    for n in range(8):
        past_sale(session, world.globex.org, price="200.00", sold_on=AS_OF - timedelta(days=7 * (n + 1)))
    session.commit()


def test_a_batch_is_quoted_line_by_line_with_the_total_and_the_basis(session, world, history):
    batch = make_batch(session, world.acme.org, reference="ACME-Q", devices=3)
    from itad.models import Device

    odd = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id.desc()))
    odd.manufacturer, odd.model, odd.category = "Cisco", "Catalyst 2960", "switch"
    session.commit()
    quote = quotes.quote_batch(session, world.acme.user, batch, currency="EUR", as_of=AS_OF)
    session.commit()
    lines = session.scalars(sa.select(QuoteLine).where(QuoteLine.quote_id == quote.id).order_by(QuoteLine.id)).all()
    assert [line.basis for line in lines] == ["model", "model", "none"]
    assert lines[0].expected is not None and abs(lines[0].expected - Decimal("200")) < Decimal("10")
    assert lines[2].expected is None and quote.unpriced == 1
    assert quote.total == lines[0].expected + lines[1].expected and quote.lines == 3
    assert quote.bases == {"model": 2, "none": 1}


def test_a_closed_batch_is_not_quoted(session, world, history):
    from itad.errors import Conflict

    batch = make_batch(session, world.acme.org, reference="ACME-QC", devices=1)
    batch.status = "closed"
    session.commit()
    with pytest.raises(Conflict):
        quotes.quote_batch(session, world.acme.user, batch, as_of=AS_OF)


def test_accuracy_sets_each_sale_against_the_latest_quote_before_it(session, world, history):
    from itad.models import Device

    batch = make_batch(session, world.acme.org, reference="ACME-QA", devices=2)
    session.commit()
    first = quotes.quote_batch(session, world.acme.user, batch, as_of=AS_OF)
    session.flush()
    session.execute(sa.update(QuoteLine).where(QuoteLine.quote_id == first.id).values(expected=Decimal("100.00")))
    second = quotes.quote_batch(session, world.acme.user, batch, as_of=AS_OF + timedelta(days=10))
    session.flush()
    session.execute(sa.update(QuoteLine).where(QuoteLine.quote_id == second.id).values(expected=Decimal("250.00")))
    a, b = session.scalars(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id)).all()
    # Sold after the first quote only, and after both: each against the latest quote before it.
    _sale_of(session, world, a, "200.00", AS_OF + timedelta(days=5))
    _sale_of(session, world, b, "200.00", AS_OF + timedelta(days=20))
    session.commit()
    report = quotes.accuracy(session, batch_id=batch.id)
    assert report.overall.sales == 2
    assert report.overall.quoted == Decimal("350.00") and report.overall.realised == Decimal("400.00")
    assert report.overall.mape == pytest.approx((0.5 + 0.25) / 2)
    assert report.overall.bias == pytest.approx((-0.5 + 0.25) / 2)
    assert set(report.by_month) == {(AS_OF + timedelta(days=5)).strftime("%Y-%m"),
                                    (AS_OF + timedelta(days=20)).strftime("%Y-%m")}
    # Another client's report holds none of it.
    assert quotes.accuracy(session, organization_id=world.globex.org.id).overall.sales == 0


def _sale_of(session, world, device, price, sold_on):
    from itad.inventory.stock import model_key, sku_for
    from itad.models import InventoryItem, Sale

    sku = sku_for(device.category, device.manufacturer, device.model, "B")
    item = InventoryItem(device_id=device.id, batch_id=device.batch_id, organization_id=device.organization_id,
                         sku=sku, category=device.category, manufacturer=device.manufacturer, model=device.model,
                         grade="B", status="sold", currency="EUR")
    session.add(item)
    session.flush()
    session.add(Sale(item_id=item.id, device_id=device.id, batch_id=device.batch_id,
                     organization_id=device.organization_id, sku=sku,
                     model_key=model_key(device.manufacturer, device.model), grade="B", price=Decimal(price),
                     fee=Decimal("0.00"), currency="EUR", buyer_reference="b", sold_on=sold_on))


def test_the_api_quotes_a_clients_batch_and_keeps_to_the_tenant_rule(session, world, client, history):
    from itad.models import Device

    batch = make_batch(session, world.acme.org, reference="ACME-QAPI", devices=2)
    first = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id))
    first.attributes = {"Purchase Date": "2024-05-02"}
    session.commit()
    url = f"/api/v1/batches/{batch.id}/quote"
    assert client.get(url, headers=world.acme.headers).status_code == 404            # not quoted yet
    made = client.post(url, json={"currency": "EUR"}, headers=world.acme.headers)
    assert made.status_code == 201 and made.get_json()["lines"] == 2
    assert client.post(url, json={}, headers=world.globex.headers).status_code == 404
    assert client.post(url, json={}, headers=world.tech.headers).status_code == 403
    lines = client.get(f"{url}/lines", headers=world.acme.headers).get_json()["items"]
    assert [line["basis"] for line in lines] == ["model", "model"]
    # The history has no sale of a dated unit: the date is kept, age moves nothing, and the line says why.
    assert [line["purchased_on"] for line in lines] == ["2024-05-02", None]
    assert lines[0]["age_factor"] is None and "no sale of a unit with a known purchase date" in lines[0]["age_note"]
    assert made.get_json()["aged"] == 0
    assert client.get("/api/v1/quotes/accuracy", headers=world.acme.headers).get_json()["overall"]["sales"] == 0


def _worn(model="DELL|LATITUDE-5490", family_models=(), months=6):
    """Each month, units of `model` bought two years before the sale at 300 and units bought half a year before at
    360: the older ones are more worn. `family_models`: (model, bought days before the sale, price), sold the same
    way, each month."""
    out = []
    for m in range(months):
        day = AS_OF - timedelta(days=30 * (months - m))
        for d in (1, 8, 15, 22):
            sold = day + timedelta(days=d)
            out.append(Sold(sold, "laptop", model, "B", 300.0, sold - timedelta(days=730)))
            out.append(Sold(sold, "laptop", model, "B", 360.0, sold - timedelta(days=180)))
            out += [Sold(sold, "laptop", other, "B", price, sold - timedelta(days=age))
                    for other, age, price in family_models]
    return out


def test_an_older_unit_of_a_model_is_quoted_lower_than_a_newer_one_by_what_wear_did_to_sales():
    estimator = Estimator(_worn(), AS_OF)
    plain = estimator.estimate("laptop", "DELL|LATITUDE-5490")
    old = estimator.estimate("laptop", "DELL|LATITUDE-5490", AS_OF - timedelta(days=730))
    new = estimator.estimate("laptop", "DELL|LATITUDE-5490", AS_OF - timedelta(days=180))
    assert plain.age_factor is None and old.age_factor < 1 < new.age_factor
    assert old.basis == new.basis == "model"
    # The sales say 300 against 360 for the same difference in age, so the quotes differ by about that share.
    assert abs(new.value / old.value - 360 / 300) < 0.03
    # Never read beyond the purchase dates sold: a unit older than any is valued as the oldest.
    ancient = estimator.estimate("laptop", "DELL|LATITUDE-5490", AS_OF - timedelta(days=4000))
    older = estimator.estimate("laptop", "DELL|LATITUDE-5490", AS_OF - timedelta(days=3000))
    assert ancient.value == pytest.approx(older.value) and ancient.value < old.value


def test_without_sales_of_dated_units_a_purchase_date_moves_nothing_and_says_so():
    undated = [Sold(s.sold_on, s.category, s.model, s.grade, s.price) for s in _worn()]
    found = Estimator(undated, AS_OF).estimate("laptop", "DELL|LATITUDE-5490", AS_OF - timedelta(days=700))
    assert found.age_factor is None and found.value == Estimator(undated, AS_OF).estimate(
        "laptop", "DELL|LATITUDE-5490").value


def test_a_model_never_sold_is_read_from_its_family_at_its_purchase_date():
    # The family's models differ in vintage: units bought five years ago sell for 150, one year ago for 450.
    family = (("DELL|LATITUDE-3380", 1825, 150.0), ("DELL|LATITUDE-7420", 365, 450.0))
    estimator = Estimator(_worn("DELL|LATITUDE-5490", family), AS_OF)
    recent = estimator.estimate("laptop", "DELL|LATITUDE-9440", AS_OF - timedelta(days=365))
    old = estimator.estimate("laptop", "DELL|LATITUDE-9440", AS_OF - timedelta(days=1825))
    plain = estimator.estimate("laptop", "DELL|LATITUDE-9440")
    assert recent.basis == old.basis == plain.basis == "family" and plain.age_factor is None
    assert recent.value > plain.value > old.value and recent.value > 2 * old.value


def test_a_batchs_lines_carry_their_purchase_dates_and_what_age_did(session, world):
    from itad.models import Device

    for n in range(12):
        for bought_days, price in ((730, "300.00"), (180, "360.00")):
            sold_on = AS_OF - timedelta(days=7 * (n + 1))
            sale = past_sale(session, world.globex.org, price=price, sold_on=sold_on)
            # Sold from one list each, ISO as an XLSX cell becomes.
            session.get(Device, sale.device_id).attributes = {
                "Purchase Date": (sold_on - timedelta(days=bought_days)).isoformat()}
    batch = make_batch(session, world.acme.org, reference="ACME-AGED", devices=4)
    written = ["1/23/23", "11/14/25", "3/1/23", "someday"]     # month first, as the second date shows
    for device, value in zip(session.scalars(sa.select(Device).where(Device.batch_id == batch.id)
                                             .order_by(Device.id)), written):
        device.attributes = {"Purchase Date": value}
    session.commit()
    quote = quotes.quote_batch(session, world.acme.user, batch, currency="EUR", as_of=AS_OF)
    session.commit()
    lines = session.scalars(sa.select(QuoteLine).where(QuoteLine.quote_id == quote.id).order_by(QuoteLine.id)).all()
    assert [line.purchased_on for line in lines] == [date(2023, 1, 23), date(2025, 11, 14), date(2023, 3, 1), None]
    assert lines[0].age_factor < 1 < lines[1].age_factor and lines[0].expected < lines[1].expected
    assert lines[3].age_factor is None and lines[3].age_note == \
        "purchase date 'someday' not used: not a date this server reads"
    assert quote.aged == 3 and "moved for age" in quote.method
