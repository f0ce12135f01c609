"""The client's settlement per batch: exact Decimal figures, the files, and only for that client."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from itad.inventory.settlement import SettlementLine, totals
from tests.factories import make_batch
from tests.inventory.conftest import past_sale


def line(price, fee, currency="EUR"):
    return SettlementLine(1, 1, "S", "SKU", date(2025, 7, 1), currency, Decimal(price), Decimal(fee))


def test_the_client_share_is_the_percentage_of_net_rounded_half_up_once_and_the_operator_keeps_the_rest():
    [t] = totals([line("199.99", "20.00"), line("250.00", "25.01"), line("80.00", "0.00")], Decimal("60.00"))
    assert (t.units_sold, t.gross, t.fees, t.net) == (3, Decimal("529.99"), Decimal("45.01"), Decimal("484.98"))
    assert t.client_share == Decimal("290.99")          # 290.988
    assert t.operator_share == Decimal("193.99") and t.client_share + t.operator_share == t.net


def test_a_half_cent_is_rounded_up_not_to_even():
    [t] = totals([line("10.25", "10.00")], Decimal("50.00"))  # 0.125
    assert (t.client_share, t.operator_share) == (Decimal("0.13"), Decimal("0.12"))


def test_each_currency_is_settled_on_its_own():
    out = totals([line("100.00", "0.00"), line("50.00", "5.00", "USD"), line("33.33", "0.00")], Decimal("33.33"))
    eur, usd = out
    assert (eur.currency, eur.units_sold, eur.net, eur.client_share) == ("EUR", 2, Decimal("133.33"), Decimal("44.44"))
    assert (usd.currency, usd.net, usd.client_share) == ("USD", Decimal("45.00"), Decimal("15.00"))


@pytest.fixture
def sold_batch(session, world):
    batch = make_batch(session, world.acme.org, reference="ACME-SETTLE-1")
    for price, fee in (("199.99", "20.00"), ("250.00", "25.01"), ("80.00", "0.00")):
        past_sale(session, world.acme.org, batch=batch, price=price, fee=fee, sold_on=date(2025, 7, 1))
    session.commit()
    return batch


def set_terms(bench, world, percent="60.00"):
    return bench.call(world.admin, "PUT", f"/organizations/{world.acme.org.id}/settlement-terms",
                      json={"client_share_percent": percent})


def test_the_client_reads_its_settlement_as_json_with_string_amounts(bench, world, sold_batch):
    assert set_terms(bench, world)[0] == 200
    body = bench.ok(world.acme, "GET", f"/batches/{sold_batch.id}/settlement")
    assert body["client_share_percent"] == "60.00" and len(body["lines"]) == 3
    assert body["totals"] == [{"currency": "EUR", "units_sold": 3, "gross": "529.99", "fees": "45.01",
                               "net": "484.98", "client_share": "290.99", "operator_share": "193.99",
                               "refunds": "0.00", "units_returned": 0}]
    assert "ROUND_HALF_UP" in body["rounding"]


def test_the_csv_parses_back_to_the_same_figures(bench, world, client, sold_batch):
    set_terms(bench, world)
    r = client.get(f"/api/v1/batches/{sold_batch.id}/settlement.csv", headers=world.acme.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    units, _, summary = r.get_data(as_text=True).partition("\n\n")
    rows = list(csv.DictReader(io.StringIO(units)))
    assert sorted(row["price"] for row in rows) == ["199.99", "250.00", "80.00"]
    [total] = list(csv.DictReader(io.StringIO(summary)))
    assert (total["gross"], total["fees"], total["net"], total["client_share"], total["operator_share"]) == \
        ("529.99", "45.01", "484.98", "290.99", "193.99")
    assert sum(Decimal(row["price"]) for row in rows) == Decimal(total["gross"])


def test_the_pdf_is_a_real_pdf_showing_the_figures(bench, world, client, sold_batch, tmp_path):
    set_terms(bench, world)
    r = client.get(f"/api/v1/batches/{sold_batch.id}/settlement.pdf", headers=world.acme.headers)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(r.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "ACME-SETTLE-1" in text and "484.98" in text and "290.99" in text and "60.00 %" in text


def test_another_client_gets_404_for_every_form_of_the_settlement(bench, world, client, sold_batch):
    set_terms(bench, world)
    for suffix in ("", ".csv", ".pdf"):
        r = client.get(f"/api/v1/batches/{sold_batch.id}/settlement{suffix}", headers=world.globex.headers)
        assert r.status_code == 404, suffix
        assert b"ACME-SETTLE-1" not in r.data and b"290.99" not in r.data
    assert client.get(f"/api/v1/batches/{sold_batch.id}/settlement", headers=world.tech.headers).status_code == 200


def test_without_terms_there_is_no_settlement_and_only_an_admin_sets_them(bench, world, sold_batch):
    status, body = bench.get(world.acme, f"/batches/{sold_batch.id}/settlement")
    assert status == 409 and body["error"]["code"] == "no_settlement_terms"
    assert bench.call(world.tech, "PUT", f"/organizations/{world.acme.org.id}/settlement-terms",
                      json={"client_share_percent": "60.00"})[0] == 403
    assert set_terms(bench, world, "100.01")[0] == 422
    assert set_terms(bench, world, 60)[0] == 422
    assert bench.call(world.admin, "PUT", f"/organizations/{world.operator.id}/settlement-terms",
                      json={"client_share_percent": "60.00"})[0] == 404
