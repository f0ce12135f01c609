"""How fast a 1,000-drive erasure report is read and applied, against floors measured in the same run.

Run: python bench/erasure_reports.py [--drives 1000] [--only sqlite|postgresql]

For SQLite (a temporary file) and PostgreSQL (a fresh database, built by the migrations, dropped after), with a
batch of received devices each holding one listed drive:

- nwipe: a ShredOS/nwipe log of N drives (discovery lines, Erasure Summary, Drive Status), imported through
  itad.steps.erasure_reports.import_report (format detection, parse, match by serial, apply every wipe through the
  step pipeline with every check on, custody events, the report stored) and committed;
- blancco: the same through a Blancco XML report of N erasures;
- floor (bulk): the same N wipe results, already parsed into dicts, through sanitizing.apply_wipes and committed:
  what applying costs without reading a report;
- floor (database): a bare executemany INSERT of N rows of a wipe record's width.

Target (issue #19): reading and applying a 1,000-drive report under 2 s, on each database. Prints a table and
PASS/FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))     # after the project: bench/certificates.py must not shadow it

import databases  # noqa: E402  (bench/databases.py)

TARGET_S = 2.0


def nwipe_log(serials: list[str]) -> bytes:
    devices = [f"sd{chr(97 + i // 26 // 26 % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}" for i in range(len(serials))]
    out = ["[2026/12/07 09:00:00]    info: ShredOS v2024.11_27_x86-64_0.38"]
    out += [f"[2026/12/07 09:00:01]  notice: Found /dev/{d},  ATA    , ST1000DM003-1CH1, 1000 GB, S/N={s}"
            for d, s in zip(devices, serials)]
    out += [f"[2026/12/07 09:00:02]    info: [GOOD]The host protected area is disabled on /dev/{d}" for d in devices]
    out += [f"[2026/12/07 09:00:03]  notice: Starting pass 1/1, round 1/1, on /dev/{d}" for d in devices]
    out += [f"[2026/12/07 11:00:00]  notice: Finished final round 1 of 1 on /dev/{d}" for d in devices]
    out += ["", "******************************** Error Summary *********************************",
            "!   Device | Pass Errors | Verifications Errors | Fdatasync I\\O Errors",
            "-" * 80]
    out += [f"{d:>10} |           0 |                    0 |                    0" for d in devices]
    out += ["*" * 80, "", "********************************* Drive Status *********************************",
            "!   Device | Status | Thru-put | HH:MM:SS | Model/Serial Number", "-" * 80]
    out += [f"{d:>10} | Erased | 140 MB/s | 01:58:12 | ST1000DM003-1CH1/{s}" for d, s in zip(devices, serials)]
    out += ["-" * 80, "[2026/12/07 11:00:05] Total Throughput 428 MB/s, PRNG Stream, 1R+B+VL", "*" * 80, "",
            "[2026/12/07 11:00:05]    info: Nwipe successfully completed. See summary table for details."]
    return ("\n".join(out) + "\n").encode()


def blancco_xml(serials: list[str]) -> bytes:
    erasures = "".join(
        f'<entries name="erasure"><entry name="state" type="string">Successful</entry>'
        f'<entry name="erasure_standard_name" type="string">NIST 800-88 Clear</entry>'
        f'<entry name="start_time" type="string">2026-12-07T09:00:00+00:00</entry>'
        f'<entry name="end_time" type="string">2026-12-07T10:30:00+00:00</entry>'
        f'<entry name="overwriting_rounds" type="uint">1</entry>'
        f'<entries name="target"><entry name="serial" type="string">{s}</entry>'
        f'<entry name="vendor" type="string">Seagate</entry><entry name="model" type="string">ST1000DM003</entry>'
        f'<entry name="capacity" type="uint">1000204886016</entry><entry name="type" type="string">HDD</entry>'
        f'</entries></entries>' for s in serials)
    return (f'<?xml version="1.0" encoding="UTF-8"?><root><report><blancco_data><description>'
            f'<document_log><log_entry><author><product_name>Blancco Drive Eraser</product_name>'
            f'<product_version>7.9.0</product_version></author></log_entry></document_log></description>'
            f'<blancco_erasure_report><entries name="erasures">{erasures}</entries></blancco_erasure_report>'
            f'</blancco_data></report></root>').encode()


def run(db_url: str, drives: int) -> list[tuple[str, float]]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from itad import accounts, create_app, documents
    from itad.models import Batch, Device, StorageMedium, db, utcnow
    from itad.steps import erasure_reports, sanitizing

    storage = tempfile.mkdtemp(prefix="itad-bench-")
    app = create_app({"ENVIRON": {}, "DATABASE_URL": db_url, "STORAGE_DIR": storage, "SECRET_KEY": "bench",
                      "STORAGE": "local"})
    results = []
    with app.app_context():
        upgrade()
        s = db.session
        op = accounts.create_organization(s, "Operator", kind="operator", slug="operator")
        client = accounts.create_organization(s, "Bench Client", slug="bench-client")
        tech = accounts.create_user(s, op, "tech@bench.test", "Bench Tech", "technician", "bench-password-1")
        s.commit()
        now = utcnow()

        def batch_of(tag: str) -> tuple[Batch, list[str], list[int]]:
            batch = Batch(organization_id=client.id, reference=tag, device_count=drives)
            s.add(batch)
            s.flush()
            s.execute(sa.insert(Device.__table__), [
                {"batch_id": batch.id, "organization_id": client.id, "serial": f"{tag}-{i:06d}", "category": "laptop",
                 "state": "received", "manifest_row": i + 2, "version": 1, "created_at": now, "updated_at": now}
                for i in range(drives)])
            ids = s.scalars(sa.select(Device.id).where(Device.batch_id == batch.id).order_by(Device.id)).all()
            serials = [f"{tag}D{i:06d}" for i in range(drives)]
            s.execute(sa.insert(StorageMedium.__table__), [
                {"device_id": d, "serial": serial, "media_type": "hdd", "source": "manifest", "state": "pending",
                 "failed_wipes": 0, "created_at": now} for d, serial in zip(ids, serials)])
            s.commit()
            media = s.scalars(sa.select(StorageMedium.id).join(Device).where(Device.batch_id == batch.id)
                              .order_by(StorageMedium.id)).all()
            return batch, serials, media

        store = documents.storage(s, app.config)
        for name, make in (("nwipe", nwipe_log), ("blancco", blancco_xml)):
            batch, serials, _ = batch_of(name.upper())
            data = make(serials)
            started = time.perf_counter()
            answer = erasure_reports.import_report(s, tech, batch, data, store=store, filename=f"{name}.report")
            s.commit()
            elapsed = time.perf_counter() - started
            if answer["applied"] != drives:
                raise SystemExit(f"{name}: {answer['applied']} of {drives} applied: {answer['results'][:3]}")
            results.append((f"{name}: import {drives}-drive report ({len(data) / 1e6:.1f} MB) + commit", elapsed))

        batch, serials, media = batch_of("FLOOR")
        items = [{"medium_id": m, "method": "clear", "technique": "overwrite", "result": "erased", "tool": "nwipe",
                  "tool_version": "0.38", "passes": 1, "verified_by_tool": True, "hidden_areas": "none"}
                 for m in media]
        started = time.perf_counter()
        sanitizing.apply_wipes(s, tech, items, source="bench", batch_id=batch.id)
        s.commit()
        results.append((f"floor: apply_wipes of {drives} parsed results + commit", time.perf_counter() - started))

        rows = [{"a": i, "b": "clear", "c": "overwrite", "d": "nwipe", "e": "erased", "f": "x" * 64}
                for i in range(drives)]
        conn = s.connection()
        conn.execute(sa.text("CREATE TEMP TABLE floor (a int, b text, c text, d text, e text, f text)"))
        started = time.perf_counter()
        conn.execute(sa.text("INSERT INTO floor VALUES (:a, :b, :c, :d, :e, :f)"), rows)
        s.commit()
        results.append((f"floor: executemany INSERT of {drives} rows + commit", time.perf_counter() - started))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drives", type=int, default=1000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    verdict = True
    print(f"{'database':<11} {'measure':<66} {'seconds':>8}  {'x bulk':>6}  verdict")
    for kind in ("sqlite", "postgresql"):
        if args.only and args.only != kind:
            continue
        with databases.fresh(kind, args.url) as url:
            results = run(url, args.drives)
        bulk = next(t for m, t in results if m.startswith("floor: apply_wipes"))
        for measure, seconds in results:
            ok = seconds < TARGET_S if not measure.startswith("floor") else None
            verdict &= ok is not False
            print(f"{kind:<11} {measure:<66} {seconds:8.3f}  {seconds / bulk:6.2f}  "
                  f"{'' if ok is None else 'PASS' if ok else 'FAIL'}")
    print(f"\ntarget: a {args.drives}-drive report read and applied in under {TARGET_S:.0f} s on each database; "
          f"overall {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
