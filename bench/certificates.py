"""Certificate speed: a 10,000-device batch certificate rendered and signed,
and per-device certificates in bulk, against a naive baseline measured in the
same run (one HTML table, one process, one WeasyPrint document).

    python bench/certificates.py [--devices 10000] [--bulk 200] [--skip-naive | --naive-rows N]

Targets: batch render+sign < 10 s; bulk >= 50 certificates/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certificates import issue_device_pdfs, issue_pdf, verify_pdf  # noqa: E402
from certificates.columns import COLUMNS  # noqa: E402
from certificates.render import shutdown_pool  # noqa: E402
from certificates.signing import generate_signing_identity  # noqa: E402
from certificates.specimen import specimen_batch, specimen_devices  # noqa: E402

BATCH_TARGET_S = 10.0
BULK_TARGET_PER_S = 50.0


def naive_seconds(data, rows: int) -> float:
    """The obvious implementation: every medium a <tr>, one document."""
    from html import escape

    from weasyprint import HTML

    lines = data.lines[:rows]
    head = "".join(f"<th>{escape(c.title)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c.value(l))}</td>" for c in COLUMNS) + "</tr>" for l in lines
    )
    html = f"""<html><head><style>
    @page {{ size: A4 landscape; margin: 12mm 10mm;
      @bottom-right {{ content: "Page " counter(page) " of " counter(pages); }} }}
    body {{ font-family: "DejaVu Sans"; font-size: 6.4pt; }}
    table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
    td, th {{ border-bottom: 0.4pt solid #ccc; padding: 0.5mm; text-align: left; }}
    </style></head><body><h1>Certificate {escape(data.number)}</h1>
    <table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"""
    t = time.perf_counter()
    HTML(string=html).write_pdf()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=10_000)
    ap.add_argument("--bulk", type=int, default=200)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--naive-rows", type=int, default=None,
                    help="measure the naive render on N rows and extrapolate linearly")
    args = ap.parse_args()

    passphrase = b"bench-passphrase"
    key, cert = generate_signing_identity("Bench Signer", "Bench ITAD", passphrase=passphrase)
    data = specimen_batch(args.devices)
    n_lines = len(data.lines)
    print(f"batch: {args.devices:,} devices, {n_lines:,} media records")

    # Warm the pool and imports so the figure is the steady state of a worker.
    issue_pdf(specimen_batch(40, number="WARM-UP"), key, cert, passphrase)

    t = time.perf_counter()
    pdf = issue_pdf(data, key, cert, passphrase)
    fast = time.perf_counter() - t
    result = verify_pdf(pdf, [cert])
    print(f"fast path render+sign: {fast:.2f} s ({len(pdf) / 1e6:.1f} MB, verify valid={result.valid})")

    naive = None
    if not args.skip_naive:
        rows = min(args.naive_rows or n_lines, n_lines)
        measured = naive_seconds(data, rows)
        naive = measured * n_lines / rows
        label = "measured" if rows == n_lines else f"EXTRAPOLATED linearly from {rows:,} rows ({measured:.2f} s)"
        print(f"naive single-table render (no signing): {naive:.2f} s [{label}]")
        print(f"speed-up: {naive / fast:.1f}x")

    devices = specimen_devices(args.bulk)
    issue_device_pdfs(devices[:30], key, cert, passphrase)  # warm the workers
    t = time.perf_counter()
    pdfs = issue_device_pdfs(devices, key, cert, passphrase)
    bulk = time.perf_counter() - t
    rate = len(pdfs) / bulk
    ok = verify_pdf(pdfs[-1], [cert]).valid
    print(f"per-device bulk: {len(pdfs)} certificates in {bulk:.2f} s = {rate:.1f}/s (last verifies: {ok})")
    shutdown_pool()

    batch_pass = fast < BATCH_TARGET_S and result.valid
    bulk_pass = rate >= BULK_TARGET_PER_S and ok
    print(f"{'PASS' if batch_pass else 'FAIL'}: batch certificate under {BATCH_TARGET_S:.0f} s")
    print(f"{'PASS' if bulk_pass else 'FAIL'}: bulk at least {BULK_TARGET_PER_S:.0f}/s")
    return 0 if batch_pass and bulk_pass else 1


if __name__ == "__main__":
    raise SystemExit(main())
