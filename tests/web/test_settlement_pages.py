"""The client's settlement in the portal: its own batches' sales and what it is owed, the statement of one
batch with its CSV and PDF; never another client's rows; and no figures at all before a share is agreed."""

from __future__ import annotations

import csv
import io

from itad.inventory import settlement, statements
from tests.web.conftest import agree_share, sold_batch


def _two_clients_sold(session, world):
    acme_batch, acme_sales = sold_batch(session, world.acme, "ACME-SOLD-1")
    globex_batch, globex_sales = sold_batch(session, world.globex, "GLOBEX-SOLD-1", prices=(("999.00", "0.00"),))
    agree_share(session, world, world.acme, "60.00")
    agree_share(session, world, world.globex, "50.00")
    return acme_batch, acme_sales, globex_batch, globex_sales


def _serials(session, sales):
    from itad.models import Device

    return [session.get(Device, s.device_id).serial for s in sales]


def test_the_client_sees_what_was_sold_and_what_it_is_owed(session, world, as_user):
    acme_batch, _, _, _ = _two_clients_sold(session, world)
    page = as_user(world.acme.user).text("/settlement")
    # 199.99 + 250.00 gross, 45.01 fees, 404.98 net; 60% = 242.988 -> 242.99
    assert "ACME-SOLD-1" in page and "404.98" in page and "242.99" in page and "60.00%" in page


def test_a_client_never_sees_another_clients_settlement_rows(session, world, as_user):
    acme_batch, acme_sales, globex_batch, globex_sales = _two_clients_sold(session, world)
    acme = as_user(world.acme.user)
    overview = acme.text(f"/settlement?client={world.globex.org.id}")  # the parameter is an admin's, ignored
    assert "GLOBEX-SOLD-1" not in overview and "999.00" not in overview and "ACME-SOLD-1" in overview
    statement = acme.text(f"/batches/{acme_batch.id}/settlement")
    assert all(s in statement for s in _serials(session, acme_sales))
    assert not any(s in statement for s in _serials(session, globex_sales))
    for suffix in ("", ".csv", ".pdf"):
        foreign = acme.get(f"/batches/{globex_batch.id}/settlement{suffix}")
        assert foreign.status_code == 404 and b"999.00" not in foreign.data and b"%PDF" not in foreign.data


def test_the_statement_downloads_are_the_services_files(session, world, as_user):
    acme_batch, acme_sales, _, _ = _two_clients_sold(session, world)
    acme = as_user(world.acme.user)
    r = acme.get(f"/batches/{acme_batch.id}/settlement.csv")
    expected = statements.settlement_csv(settlement.settle_batch(session, acme_batch))
    assert r.status_code == 200 and r.mimetype == "text/csv" and r.get_data(as_text=True) == expected
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert sorted(row[2] for row in rows[1:3]) == sorted(_serials(session, acme_sales))
    pdf = acme.get(f"/batches/{acme_batch.id}/settlement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert f'settlement-batch-{acme_batch.id}.pdf' in pdf.headers["Content-Disposition"]


def test_before_a_share_is_agreed_the_page_says_so_and_offers_no_figures(session, world, as_user):
    batch, _ = sold_batch(session, world.acme, "ACME-NO-TERMS")
    acme = as_user(world.acme.user)
    page = acme.text("/settlement")
    assert "No share of resale proceeds is agreed" in page and "ACME-NO-TERMS" not in page
    statement = acme.get(f"/batches/{batch.id}/settlement")
    assert statement.status_code == 200 and "Download CSV" not in statement.get_data(as_text=True)
    refused = acme.get(f"/batches/{batch.id}/settlement.csv")
    assert refused.status_code == 409 and "No settlement terms" in refused.get_data(as_text=True)


def test_an_admin_sets_the_share_on_the_client_page_and_reads_any_clients_settlement(session, world, as_user):
    sold_batch(session, world.globex, "GLOBEX-SOLD-2", prices=(("100.00", "10.00"),))
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/organizations/{world.globex.org.id}/settlement-terms", {"client_share_percent": "70"})
    assert r.status_code == 302
    assert settlement.terms_of(session, world.globex.org.id).client_share_percent == 70
    page = admin.text(f"/settlement?client={world.globex.org.id}")
    assert "GLOBEX-SOLD-2" in page and "63.00" in page  # (100 - 10) x 70%


def test_a_share_with_more_than_two_decimals_is_refused_with_the_reason(session, world, as_user):
    admin = as_user(world.admin.user)
    page = admin.post(f"/admin/organizations/{world.acme.org.id}/settlement-terms",
                      {"client_share_percent": "60.125"}, follow_redirects=True).get_data(as_text=True)
    assert "more than two decimals" in page and settlement.terms_of(session, world.acme.org.id) is None
