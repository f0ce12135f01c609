"""Certificate speed: a 10,000-device batch certificate rendered and signed,
and per-device certificates in bulk, against a naive baseline measured in the
same run (one HTML table, one process, one WeasyPrint document).

    python bench/certificates.py [--devices 10000] [--bulk 200] [--skip-naive | --naive-rows N]
                                 [--naive-devices 20]

Wall and CPU seconds (this process plus the pool workers) are both printed:
on a shared machine the CPU figure is the one to compare between runs.

Targets: batch render+sign < 10 s; bulk >= 50 certificates/s.
"""

from __future__ import annotations

import argparse
import os
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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """CPU time of this process and of the live pool workers (they outlive
    each call, so RUSAGE_CHILDREN would not see them): the machine is shared,
    so wall time alone says little."""
    from certificates import render

    total = time.process_time()
    pool = render._POOL
    for pid in (getattr(pool, "_processes", None) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            pass
    return total


def measured(fn):
    """(result, wall s, cpu s) of fn()."""
    c, t = cpu_seconds(), time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t, cpu_seconds() - c


def naive_device_rate(devices, key, cert, passphrase) -> tuple[float, float]:
    """Per-device baseline: each certificate laid out alone by WeasyPrint
    from the full template, then signed, in one process. (rate/s, cpu s each)"""
    from certificates import sign_pdf
    from certificates.render import _render_device_solo

    def run():
        for d in devices:
            sign_pdf(_render_device_solo(d), key, cert, passphrase)

    _, wall, cpu = measured(run)
    return len(devices) / wall, cpu / len(devices)
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
    ap.add_argument("--naive-devices", type=int, default=20,
                    help="device certificates in the naive per-device baseline")
    args = ap.parse_args()

    passphrase = b"bench-passphrase"
    key, cert = generate_signing_identity("Bench Signer", "Bench ITAD", passphrase=passphrase)
    data = specimen_batch(args.devices)
    n_lines = len(data.lines)
    print(f"batch: {args.devices:,} devices, {n_lines:,} media records")

    # Warm the pool and imports so the figure is the steady state of a worker.
    issue_pdf(specimen_batch(40, number="WARM-UP"), key, cert, passphrase)

    pdf, fast, fast_cpu = measured(lambda: issue_pdf(data, key, cert, passphrase))
    result = verify_pdf(pdf, [cert])
    print(f"fast path render+sign: {fast:.2f} s wall, {fast_cpu:.2f} s CPU "
          f"({len(pdf) / 1e6:.1f} MB, verify valid={result.valid})")

    naive = None
    if not args.skip_naive:
        rows = min(args.naive_rows or n_lines, n_lines)
        c = cpu_seconds()
        seconds = naive_seconds(data, rows)
        naive_cpu = cpu_seconds() - c
        naive = seconds * n_lines / rows
        label = "measured" if rows == n_lines else f"EXTRAPOLATED linearly from {rows:,} rows ({seconds:.2f} s)"
        print(f"naive single-table render (no signing): {naive:.2f} s wall, "
              f"{naive_cpu * n_lines / rows:.2f} s CPU [{label}]")
        print(f"speed-up: {naive / fast:.1f}x")

    devices = specimen_devices(args.bulk)
    issue_device_pdfs(devices[:100], key, cert, passphrase)  # warm the workers
    pdfs, bulk, bulk_cpu = measured(lambda: issue_device_pdfs(devices, key, cert, passphrase))
    rate = len(pdfs) / bulk
    ok = all(verify_pdf(p, [cert]).valid for p in (pdfs[0], pdfs[-1]))
    print(f"per-device bulk: {len(pdfs)} certificates in {bulk:.2f} s = {rate:.1f}/s, "
          f"{bulk_cpu / len(pdfs) * 1000:.1f} ms CPU each (first and last verify: {ok})")
    if not args.skip_naive:
        naive_rate, naive_each = naive_device_rate(devices[:args.naive_devices], key, cert, passphrase)
        print(f"naive per-device (full layout per certificate, one process, {args.naive_devices} devices): "
              f"{naive_rate:.1f}/s, {naive_each * 1000:.0f} ms CPU each; speed-up {rate / naive_rate:.1f}x")
    shutdown_pool()

    batch_pass = fast < BATCH_TARGET_S and result.valid
    bulk_pass = rate >= BULK_TARGET_PER_S and ok
    print(f"{'PASS' if batch_pass else 'FAIL'}: batch certificate under {BATCH_TARGET_S:.0f} s")
    print(f"{'PASS' if bulk_pass else 'FAIL'}: bulk at least {BULK_TARGET_PER_S:.0f}/s")
    return 0 if batch_pass and bulk_pass else 1


if __name__ == "__main__":
    raise SystemExit(main())
