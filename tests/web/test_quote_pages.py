"""The buy quote in the portal: the quote page, and the settlement statement's quoted against realised."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from itad.models import Quote
from tests.factories import make_batch
from tests.inventory.conftest import past_sale


@pytest.fixture
def history(session, world):
    for n in range(8):
        past_sale(session, world.globex.org, price="200.00", sold_on=date.today() - timedelta(days=7 * (n + 1)))
    session.commit()


def test_the_quote_page_shows_the_total_and_each_line(session, world, as_user, history):
    from itad.models import Device

    batch = make_batch(session, world.acme.org, reference="ACME-QP", devices=2)
    first = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id))
    first.attributes = {"Purchase Date": "3/1/23"}      # nothing else in the list tells day from month
    session.commit()
    acme = as_user(world.acme.user)
    r = acme.post(f"/batches/{batch.id}/quote", {"currency": "EUR"})
    assert r.status_code == 302
    quote = session.scalar(sa.select(Quote))
    page = acme.text(f"/batches/{batch.id}/quote")
    assert f"{quote.total:.2f} EUR" in page and "on the model&#39;s own sales" in page
    assert "no line's value moved for age" in page
    assert "purchase date &#39;3/1/23&#39; not used: could be 3 January 2023 or 1 March 2023" in page
    assert as_user(world.globex.user).get(f"/batches/{batch.id}/quote").status_code == 404


def test_the_settlement_statement_sets_the_quote_against_what_sold(session, world, as_user, history):
    from itad.inventory import quotes
    from itad.models import Device
    from tests.inventory.test_quotes import _sale_of
    from tests.web.conftest import agree_share

    batch = make_batch(session, world.acme.org, reference="ACME-QS", devices=2)
    session.commit()
    quotes.quote_batch(session, world.acme.user, batch)
    session.commit()
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id))
    _sale_of(session, world, device, "180.00", date.today())
    session.commit()
    agree_share(session, world, world.acme, "60.00")
    page = as_user(world.acme.user).text(f"/batches/{batch.id}/settlement")
    section = page[page.index("Quoted and realised"):]
    from itad.models import QuoteLine

    quoted = session.scalar(sa.select(QuoteLine.expected).where(QuoteLine.device_id == device.id))
    assert "Units sold that were quoted" in section and "180.00" in section and f"{quoted:.2f}" in section
    assert as_user(world.acme.user).text("/quotes/accuracy").count("Units sold that were quoted") == 0
    assert "All units" in as_user(world.acme.user).text("/quotes/accuracy")
