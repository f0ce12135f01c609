"""How fast a 100,000-row asset list is registered, against the floor of the database itself.

Run: python bench/intake.py [rows] [--only sqlite|postgresql]   (default 100,000 rows, both databases)

For SQLite and for PostgreSQL (a fresh database per run, built by the migrations, dropped after):

- floor: the same device and storage-medium rows, already built as dicts, inserted with ONE
  SQLAlchemy Core executemany per table and committed; on PostgreSQL also the same rows as COPY
  text built beforehand, one COPY per table (what the database itself needs; shown for comparison);
- service: itad.intake.service.register_batch on the CSV bytes (parse, check, insert, the
  duplicate query against another open batch of the client holding a tenth as many devices,
  custody event) and commit, with every constraint and trigger on, as in the floors;
- http: POST /api/v1/batches with the file as multipart, to a real gunicorn (1 worker) on
  127.0.0.1 at a free port, timed from the client, after one small warm-up upload;
- CPU seconds of each measure: this process (the COPY thread included) or the gunicorn worker,
  and on PostgreSQL the server backend, read from /proc (the machine is shared: wall clock moves
  with other work, CPU seconds much less);
- memory: the service path under tracemalloc at a quarter of the rows and at all of them;
  flat means the peak does not grow with the rows (beyond the uploaded bytes themselves).

Target: on PostgreSQL, service and HTTP within 1.5x the COPY floor; on SQLite, within the executemany
floor (1.0x). Prints a table and PASS/FAIL.
PostgreSQL: DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test (an admin connection).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

# Every constraint and trigger on, in the floors as in the measured paths.
TARGET_RATIO = {"postgresql": 1.5, "sqlite": 1.0}
HEADER = ["Serial Number", "Asset Tag", "Manufacturer", "Model", "Category", "Drive Serial", "Cost Centre"]
CATEGORIES = ["Laptop", "Desktop", "Notebook", "Monitor", "Server", "PC", "Phone", "Tablet"]


def make_csv(n: int, prefix: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(n):
        writer.writerow([f"{prefix}{i:09d}", f"AT-{i:07d}", "Dell Inc.", "Latitude 7490",
                         CATEGORIES[i % len(CATEGORIES)], f"WD-{prefix}{i:08d}", f"CC-{i % 40}"])
    return out.getvalue().encode("utf-8")


# -- databases --------------------------------------------------------------------------------

def admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")


class Database:
    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.workdir = workdir
        self.name = f"itad_bench_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            self.admin_url = None
        else:
            self.admin_url = admin_url()
            self.url = f"{self.admin_url.rpartition('/')[0]}/{self.name}"

    def __enter__(self):
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def environ(db: Database) -> dict:
    return {"DATABASE_URL": db.url, "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "STORAGE_DIR": str(db.workdir / "storage"), "MAX_UPLOAD_BYTES": str(256 * 1024 * 1024)}


def build_app(db: Database):
    from flask_migrate import upgrade

    from itad import create_app

    app = create_app({"ENVIRON": environ(db)})
    with app.app_context():
        upgrade()
    return app


def seed(session):
    from itad import accounts

    client = accounts.create_organization(session, "Bench Bank", kind="client", slug="bench-bank")
    accounts.create_organization(session, "Operator", kind="operator", slug="operator")
    user = accounts.create_user(session, client, "bench@example.test", "Bench User", "client",
                                "correct-horse-battery")
    _, token = accounts.create_token(session, user, "bench")
    session.commit()
    return client, user, token


# -- CPU time ---------------------------------------------------------------------------------

class CpuClock:
    """CPU seconds spent by this process (every thread) and, on PostgreSQL, by the session's
    server backend (read from /proc: the server runs on this machine). Other helpers' benches
    share the two cores, so wall-clock figures move with the load; CPU seconds move far less
    and say where the time goes (Python, or the database)."""

    def __init__(self, session):
        self.backend = None
        if session.get_bind().dialect.name == "postgresql":
            pid = session.scalar(sa.text("SELECT pg_backend_pid()"))
            if os.access(f"/proc/{pid}/stat", os.R_OK):
                self.backend = f"/proc/{pid}/stat"

    def read(self) -> tuple[float, float]:
        return time.process_time(), proc_cpu([self.backend] if self.backend else [])

    def since(self, start: tuple[float, float]) -> tuple[float, float]:
        now = self.read()
        return now[0] - start[0], now[1] - start[1]


def proc_cpu(stat_files: list[str]) -> float:
    """utime + stime of processes, in seconds, from their /proc/<pid>/stat."""
    total = 0
    for path in stat_files:
        try:
            fields = Path(path).read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_processes(db: "Database", server_pid: int) -> tuple[list[str], list[str]]:
    """/proc stat files of the gunicorn worker(s) and, on PostgreSQL, of the backends connected
    to the bench database (after the warm-up, the worker's pooled connection)."""
    workers = []
    for task in Path(f"/proc/{server_pid}/task").glob("*/children"):
        workers += [f"/proc/{pid}/stat" for pid in task.read_text().split()]
    backends = []
    if db.admin_url:
        import psycopg

        with psycopg.connect(db.admin_url, autocommit=True) as conn:
            backends = [f"/proc/{pid}/stat" for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                (db.name,))]
    return workers, backends


cpu_figures: dict[tuple[str, str], tuple[float, float]] = {}


# -- the floor --------------------------------------------------------------------------------

def floor_rows(n: int, batch_id: int, org_id: int, first_id: int):
    from itad.models import utcnow

    now = utcnow()
    devices = [
        {"id": first_id + i, "batch_id": batch_id, "organization_id": org_id, "serial": f"FL{i:09d}",
         "asset_tag": f"AT-{i:07d}", "manufacturer": "Dell Inc.", "model": "Latitude 7490",
         "category": "laptop", "state": "registered", "manifest_row": i + 2,
         "attributes": {"Cost Centre": f"CC-{i % 40}"}, "version": 1, "created_at": now, "updated_at": now}
        for i in range(n)
    ]
    media = [
        {"id": first_id + i, "device_id": first_id + i, "serial": f"WD-FL{i:08d}", "media_type": "unknown",
         "source": "manifest", "state": "pending", "failed_wipes": 0, "created_at": now}
        for i in range(n)
    ]
    return devices, media


def floor_batch(session, org_id: int) -> int:
    from itad.models import Batch

    batch = Batch(organization_id=org_id, reference="FLOOR", device_count=0, status="closed")
    session.add(batch)
    session.commit()
    return batch.id


def drop_batch(session, batch_id: int) -> None:
    from itad.models import Device, StorageMedium

    device_ids = sa.select(Device.id).where(Device.batch_id == batch_id).scalar_subquery()
    session.execute(sa.delete(StorageMedium).where(StorageMedium.device_id.in_(device_ids)))
    session.execute(sa.delete(Device).where(Device.batch_id == batch_id))
    session.execute(sa.text("DELETE FROM batch WHERE id = :id"), {"id": batch_id})
    session.commit()


def measure_floor_executemany(session, n: int, org_id: int) -> float:
    from itad.models import Device, StorageMedium

    batch_id = floor_batch(session, org_id)
    devices, media = floor_rows(n, batch_id, org_id, 50_000_000)
    # Plain executemany: on PostgreSQL psycopg 3 pipelines the INSERTs. Adding RETURNING (so that
    # SQLAlchemy pages the rows into multi-row VALUES, insertmanyvalues) measured 3-4x slower
    # here, so it would be a floor flattering whatever is compared with it.
    clock = CpuClock(session)
    cpu = clock.read()
    start = time.perf_counter()
    session.execute(sa.insert(Device.__table__), devices)
    session.execute(sa.insert(StorageMedium.__table__), media)
    session.commit()
    elapsed = time.perf_counter() - start
    cpu_figures[(session.get_bind().dialect.name, "executemany")] = clock.since(cpu)
    drop_batch(session, batch_id)
    return elapsed


def copy_text(rows: list[dict], columns: list[str]) -> str:
    """Rows as COPY text (none of these values needs escaping; None is \\N)."""
    def text(value):
        if value is None:
            return "\\N"
        if isinstance(value, dict):
            return json.dumps(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    return "".join("\t".join(text(row[c]) for c in columns) + "\n" for row in rows)


def measure_floor_copy(session, n: int, org_id: int) -> float:
    """The database's own floor: one COPY per table of text built beforehand (not timed), sent
    in 1 MB blocks (psycopg's write_row per row would time Python, not the database)."""
    batch_id = floor_batch(session, org_id)
    devices, media = floor_rows(n, batch_id, org_id, 60_000_000)
    dcols, mcols = list(devices[0]), list(media[0])
    blocks = [(f"COPY device ({', '.join(dcols)}) FROM STDIN", copy_text(devices, dcols)),
              (f"COPY storage_medium ({', '.join(mcols)}) FROM STDIN", copy_text(media, mcols))]
    del devices, media
    clock = CpuClock(session)
    cpu = clock.read()
    start = time.perf_counter()
    raw = session.connection().connection.driver_connection  # psycopg 3
    with raw.cursor() as cur:
        for statement, text in blocks:
            with cur.copy(statement) as copy:
                for at in range(0, len(text), 1 << 20):
                    copy.write(text[at : at + (1 << 20)])
    session.commit()
    elapsed = time.perf_counter() - start
    cpu_figures[("postgresql", "copy")] = clock.since(cpu)
    drop_batch(session, batch_id)
    return elapsed


# -- the service and HTTP paths ---------------------------------------------------------------

def measure_service(session, org, user, data: bytes, max_rows: int, what: str = "service") -> tuple[float, int]:
    from itad.intake import service

    clock = CpuClock(session)
    cpu = clock.read()
    start = time.perf_counter()
    registration = service.register_batch(session, organization=org, actor=user, reference="PO-BENCH",
                                          data=data, filename="bench.csv", max_rows=max_rows)
    session.commit()
    elapsed = time.perf_counter() - start
    cpu_figures[(session.get_bind().dialect.name, what)] = clock.since(cpu)
    assert registration.created and registration.rows == registration.media
    return elapsed, registration.rows


def open_batch(session, org, user, n: int) -> int:
    """Another open batch of the same client, as a client usually has: the open-batch check of
    every measured run really joins against its devices (none of its serials is in the lists)."""
    from itad.intake import service

    registration = service.register_batch(session, organization=org, actor=user, reference="PO-OPEN",
                                          data=make_csv(n, "OP"), filename="open.csv", max_rows=n)
    session.commit()
    return registration.batch.id


def close_batches_but(session, keep_open: int) -> None:
    # Each run registers new serials; closing the measured batches keeps later runs from being
    # refused while the check still runs over the open one (and an index holding all the rows).
    session.execute(sa.text("UPDATE batch SET status = 'closed' WHERE id != :id"), {"id": keep_open})
    session.commit()


def memory_peak(session, org, user, data: bytes) -> int:
    from itad.intake import service

    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    service.register_batch(session, organization=org, actor=user, reference="PO-MEM", data=data,
                           filename="mem.csv", max_rows=1_000_000)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    session.rollback()
    return peak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(fields: dict, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def measure_http(db: Database, token: str, data: bytes) -> tuple[float, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(environ(db))
    env["PYTHONPATH"] = str(ROOT)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).read()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)

        def post(reference: str, name: str, data: bytes) -> tuple[float, dict]:
            body, content_type = multipart({"reference": reference}, "file", name, data)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/batches", data=body, method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
                status = response.status
            elapsed = time.perf_counter() - start
            assert status == 201, status
            return elapsed, answer

        # A worker that has served a request before, as in production: the first one pays for
        # imports, the database connection and SQLAlchemy's statement compilation (~0.3 s).
        post("PO-WARM", "warm.csv", make_csv(10, "WU"))
        workers, backends = server_processes(db, server.pid)
        before = proc_cpu(workers), proc_cpu(backends)
        elapsed, answer = post("PO-HTTP", "http.csv", data)
        cpu_figures[(db.kind, "http")] = (proc_cpu(workers) - before[0], proc_cpu(backends) - before[1])
        return elapsed, answer["rows"]
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- the run ----------------------------------------------------------------------------------

copy_floor: dict[str, float] = {}


def run(kind: str, n: int, results: list) -> None:
    with tempfile.TemporaryDirectory() as tmp, Database(kind, Path(tmp)) as db:
        app = build_app(db)
        with app.app_context():
            from itad.models import db as handle

            session = handle.session
            org, user, token = seed(session)
            floor = measure_floor_executemany(session, n, org.id)
            results.append((kind, "floor: Core executemany (devices + media)", n, floor, None))
            if kind == "postgresql":
                copy_floor[kind] = measure_floor_copy(session, n, org.id)
                results.append((kind, "floor: COPY (devices + media)", n, copy_floor[kind], None))

            keep_open = open_batch(session, org, user, max(n // 10, 1))
            elapsed, rows = measure_service(session, org, user, make_csv(n, "SV"), n)
            results.append((kind, "service: register_batch + commit", rows, elapsed, floor))
            close_batches_but(session, keep_open)

            small = memory_peak(session, org, user, make_csv(n // 4, "MA"))
            large = memory_peak(session, org, user, make_csv(n, "MB"))
            results.append((kind, f"memory: tracemalloc peak {n // 4:,} rows", n // 4, small, "bytes"))
            results.append((kind, f"memory: tracemalloc peak {n:,} rows", n, large, "bytes"))

            http_data = make_csv(n, "HT")
            handle.session.remove()
            handle.engine.dispose()
        elapsed, rows = measure_http(db, token, http_data)
        results.append((kind, "http: gunicorn POST /api/v1/batches", rows, elapsed, floor))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results: list = []
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            run(kind, args.rows, results)

    ok = True
    print(f"\n{'database':<11} {'measure':<44} {'rows':>8} {'figure':>12} {'x floor':>8}  verdict  x COPY")
    mem: dict = {}
    for kind, label, rows, value, floor in results:
        if floor == "bytes":
            mem.setdefault(kind, []).append(value)
            print(f"{kind:<11} {label:<44} {rows:>8,} {value / 1e6:>9.1f} MB {'':>8}")
            continue
        if floor is None:
            print(f"{kind:<11} {label:<44} {rows:>8,} {value:>10.3f} s {'':>8}")
            continue
        ratio = value / floor
        # The target's floor: COPY where the database has it, else the executemany floor.
        passed = value <= TARGET_RATIO[kind] * copy_floor.get(kind, floor)
        verdict = "PASS" if passed else "FAIL"
        ok &= passed
        versus_copy = f"{value / copy_floor[kind]:>6.2f}x" if kind in copy_floor else ""
        print(f"{kind:<11} {label:<44} {rows:>8,} {value:>10.3f} s {ratio:>7.2f}x  {verdict:<6}   {versus_copy}")
    for kind, (small, large) in mem.items():
        # Flat: 4x the rows may not cost much more than the 3x larger upload held in memory.
        growth = large - small
        passed = large <= 2.5 * small
        ok &= passed
        print(f"{kind:<11} {'memory: peak growth for 4x the rows':<44} {'':>8} {growth / 1e6:>9.1f} MB "
              f"{large / small:>7.2f}x  {'PASS' if passed else 'FAIL'}")
    if cpu_figures:
        print(f"\nCPU seconds (less moved by the load than wall clock): {'python':>8} {'database':>9}")
        for (kind, what), (python, server) in cpu_figures.items():
            shown = f"{server:>9.2f}" if kind == "postgresql" else f"{'(in-process)':>12}"
            print(f"{kind:<11} {what:<42} {python:>8.2f} {shown}")
    print(f"\ntarget: PostgreSQL <= {TARGET_RATIO['postgresql']}x the COPY floor, SQLite <= "
          f"{TARGET_RATIO['sqlite']}x the executemany floor; overall {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
