"""A settlement as files a client keeps: CSV (one line per unit sold, then the totals) and PDF."""

from __future__ import annotations

import io

from flask import render_template

from itad import spreadsheets
from itad.inventory.money import fmt
from itad.inventory.settlement import Settlement

LINE_COLUMNS = ["sale_id", "device_id", "serial", "sku", "sold_on", "currency", "price", "fee", "returned_on",
                "refund", "fee_returned"]
TOTAL_COLUMNS = ["currency", "units_sold", "gross", "fees", "refunds", "net", "client_share_percent", "client_share",
                 "operator_share", "units_returned"]


def settlement_csv(s: Settlement) -> str:
    """Two tables in one file, separated by a blank line: the units sold, then the totals per currency."""
    buf = io.StringIO()
    w = spreadsheets.writer(buf, lineterminator="\n")
    w.writerow(LINE_COLUMNS)
    for line in s.lines:
        w.writerow([line.sale_id, line.device_id, line.serial, line.sku, line.sold_on.isoformat(), line.currency,
                    fmt(line.price), fmt(line.fee), line.returned_on.isoformat() if line.returned_on else "",
                    fmt(line.refund), fmt(line.fee_returned)])
    w.writerow([])
    w.writerow(TOTAL_COLUMNS)
    for t in s.totals:
        w.writerow([t.currency, t.units_sold, fmt(t.gross), fmt(t.fees), fmt(t.refunds), fmt(t.net),
                    fmt(s.client_share_percent), fmt(t.client_share), fmt(t.operator_share), t.units_returned])
    return buf.getvalue()


def settlement_pdf(s: Settlement) -> bytes:
    from weasyprint import HTML

    html = render_template("inventory/settlement.html", s=s, fmt=fmt)
    return HTML(string=html).write_pdf()
