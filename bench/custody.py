"""How fast a 100,000-event custody chain is exported and checked, against floors measured in the same run.

Run: python bench/custody.py [--events 100000] [--only sqlite|postgresql]

For SQLite (a temporary file) and PostgreSQL (a fresh database built by the migrations, dropped after): a batch
whose chain holds N events (built with the server's own hashing, inserted in bulk), then

- export: GET /api/v1/batches/<id>/custody.jsonl through the app (the test client: the whole streamed body read);
- verify: verify_custody.py run by the system's `python3 -I` on that export (a separate process, standard
  library only, as an auditor runs it);
- floor (read): the same rows selected, nothing else;
- floor (hash): SHA-256 over the export's bytes, in this process.

Target (issue #20): export and verify each under 5 s. Prints a table and PASS/FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))     # after the project: bench/certificates.py must not shadow it

import databases  # noqa: E402  (bench/databases.py)

TARGET_S = 5.0
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def run(db_url: str, events: int, folder: Path) -> list[tuple[str, float]]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from itad import accounts, create_app
    from itad.models import Batch, CustodyEvent, db
    from itad.steps.custody import ChainHead, build_event
    from workflows.custody import GENESIS

    app = create_app({"ENVIRON": {}, "DATABASE_URL": db_url, "STORAGE_DIR": str(folder), "SECRET_KEY": "bench"})
    results = []
    with app.app_context():
        upgrade()
        s = db.session
        client_org = accounts.create_organization(s, "Bench Client", slug="bench-client")
        user = accounts.create_user(s, client_org, "client@bench.test", "Bench Client", "client", "bench-password-1")
        token = accounts.create_token(s, user, "bench")[1]
        batch = Batch(organization_id=client_org.id, reference="CUSTODY", device_count=0)
        s.add(batch)
        s.commit()
        head = ChainHead(batch.id, 0, GENESIS)
        rows = [build_event(head, device_id=None, actor=user, action="receive", from_state="registered",
                            to_state="received", evidence={"serial": f"SN{i:07d}", "station": "bench 4"})
                for i in range(events)]
        for start in range(0, events, 10_000):
            s.execute(sa.insert(CustodyEvent.__table__), rows[start:start + 10_000])
        s.commit()

        started = time.perf_counter()
        list(s.execute(sa.select(CustodyEvent.__table__).where(CustodyEvent.batch_id == batch.id)
                       .order_by(CustodyEvent.seq)))
        results.append((f"floor: SELECT the {events:,} rows", time.perf_counter() - started))
        s.rollback()

        http = app.test_client()
        started = time.perf_counter()
        response = http.get(f"/api/v1/batches/{batch.id}/custody.jsonl", headers={"Authorization": f"Bearer {token}"})
        body = response.get_data()
        results.append((f"export: GET custody.jsonl ({len(body) / 1e6:.1f} MB)", time.perf_counter() - started))
        lines = body.count(b"\n")
        if response.status_code != 200 or lines != events:
            raise SystemExit(f"export answered {response.status_code} with {lines} lines")
        db.session.remove()
        db.engine.dispose()

    export = folder / "export.jsonl"
    export.write_bytes(body)
    started = time.perf_counter()
    hashlib.sha256(body).hexdigest()
    results.append(("floor: SHA-256 over the export", time.perf_counter() - started))
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-I", str(ROOT / "verify_custody.py"), str(export)], capture_output=True, text=True)
    results.append(("verify: python3 -I verify_custody.py", time.perf_counter() - started))
    if done.returncode != 0:
        raise SystemExit(f"verify failed: {done.stdout}{done.stderr}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    verdict = True
    print(f"{'database':<11} {'measure':<50} {'seconds':>8}  verdict")
    for kind in ("sqlite", "postgresql"):
        if args.only and args.only != kind:
            continue
        folder = Path(tempfile.mkdtemp(prefix="itad-bench-custody-"))
        with databases.fresh(kind, args.url) as url:
            results = run(url, args.events, folder)
        for measure, seconds in results:
            ok = None if measure.startswith("floor") else seconds < TARGET_S
            verdict &= ok is not False
            print(f"{kind:<11} {measure:<50} {seconds:8.3f}  {'' if ok is None else 'PASS' if ok else 'FAIL'}")
    print(f"\ntarget: export and verify of a {args.events:,}-event chain each under {TARGET_S:.0f} s; "
          f"overall {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
