"""Benchmark of the wipe-recording paths, on PostgreSQL, against a real gunicorn on loopback.

    python bench/workflow.py [--url postgresql://postgres@127.0.0.1:5432/test] [--requests 3000] [--clients 12]
                             [--gunicorn "-w 3 --threads 4"]

1. Bulk: 10,000 wipe results in one POST /api/v1/sanitizations/bulk. Target: under 2 s.
   Floor, same run: a bare executemany INSERT of 10,000 rows of the same width into a scratch table.
2. Single: POST /api/v1/devices/<id>/sanitizations from concurrent clients, each request on its own
   device. Target: at least 300 requests/s, p99 under 100 ms, no errors. Floor, same run and load:
   GET /api/v1/health (the same app, one SELECT 1). gunicorn runs with gunicorn.conf.py, as the README
   says for production (--gunicorn adds options). The load generator is a separate process (--clients
   threads on keep-alive sockets, requests encoded up front); its CPU per request is printed, and so is
   the server's (gunicorn processes + PostgreSQL backends, from /proc), which a busy machine does not skew
   the way it skews requests per second.

A fresh database is created, built by the migrations, and dropped at the end; gunicorn is started
on 127.0.0.1 on a free port and stopped. Bounded: a request count and a time limit per phase.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BULK_ITEMS = 10_000
BULK_TARGET_S = 2.0
SINGLE_TARGET_RPS = 300
SINGLE_TARGET_P99_MS = 100
CLIENTS = 12
PHASE_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(admin_url: str) -> str:
    import psycopg

    name = f"itad_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(db_url: str, storage: str, single_devices: int) -> dict:
    """Build the schema with the migrations; add users, a 10,000-device batch and the single-run batches.

    Devices are inserted already `received` (the bench measures wiping, not receiving)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from itad import accounts, create_app
    from itad.models import Batch, Device, StorageMedium, db, utcnow

    app = create_app({"ENVIRON": {}, "DATABASE_URL": db_url, "STORAGE_DIR": storage, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        s = db.session
        op = accounts.create_organization(s, "Operator", kind="operator", slug="operator")
        client = accounts.create_organization(s, "Bench Client", slug="bench-client")
        tech = accounts.create_user(s, op, "tech@bench.test", "Bench Tech", "technician", "bench-password-1")
        token = accounts.create_token(s, tech, "bench")[1]
        s.commit()

        now = utcnow()

        def batch_of(n_devices: int, tag: str) -> list[int]:
            batch = Batch(organization_id=client.id, reference=tag, device_count=n_devices)
            s.add(batch)
            s.flush()
            s.execute(sa.insert(Device.__table__), [
                {"batch_id": batch.id, "organization_id": client.id, "serial": f"{tag}-{i:06d}", "category": "laptop",
                 "state": "received", "manifest_row": i + 2, "version": 1,
                 "created_at": now, "updated_at": now} for i in range(n_devices)])
            ids = s.scalars(sa.select(Device.id).where(Device.batch_id == batch.id).order_by(Device.id)).all()
            s.execute(sa.insert(StorageMedium.__table__), [
                {"device_id": d, "serial": f"{tag}-D{d}", "media_type": "ssd", "source": "manifest",
                 "state": "pending", "failed_wipes": 0, "created_at": now} for d in ids])
            s.commit()
            return ids

        bulk_devices = batch_of(BULK_ITEMS, "BULK")
        bulk_media = s.scalars(sa.select(StorageMedium.id).where(StorageMedium.device_id.in_(bulk_devices))
                               .order_by(StorageMedium.id)).all()
        # The single run spreads over many batches, as a floor of benches would: each batch's chain is locked alone.
        per_batch = 100
        batches = [batch_of(per_batch, f"S{b:03d}") for b in range(max(1, single_devices // per_batch))]
        # Round-robin over the batches, so concurrent clients work in different batches like different benches.
        single = [d for row in zip(*batches) for d in row]
        s.execute(sa.text("ANALYZE"))
        s.commit()
    return {"token": token, "bulk_media": bulk_media, "single_devices": single}


def start_gunicorn(db_url: str, storage: str, port: int, overrides: list[str]) -> subprocess.Popen:
    """gunicorn as the README runs it in production (gunicorn.conf.py), bound to loopback."""
    env = {**os.environ, "DATABASE_URL": db_url, "STORAGE_DIR": storage, "SECRET_KEY": "bench"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", *overrides, "wsgi:app"],
        cwd=ROOT, env=env)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not answer /api/v1/health within 90 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def bulk_floor(db_url: str) -> float:
    """A bare executemany of 10,000 rows of a sanitization record's width: the database's own floor."""
    import sqlalchemy as sa

    from itad.config import database_uri

    engine = sa.create_engine(database_uri(db_url))
    rows = [{"a": i, "b": "purge", "c": "crypto_erase", "d": "bench tool", "e": "erased", "f": "x" * 64}
            for i in range(BULK_ITEMS)]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE floor (a int, b text, c text, d text, e text, f text)"))
        started = time.perf_counter()
        conn.execute(sa.text("INSERT INTO floor VALUES (:a, :b, :c, :d, :e, :f)"), rows)
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def run_bulk(port: int, token: str, media: list[int]) -> tuple[float, dict]:
    items = [{"medium_id": m, "method": "purge", "technique": "crypto_erase", "tool": "bench-station",
              "tool_version": "1.0", "passes": 1, "verified_by_tool": True} for m in media]
    payload = json.dumps({"items": items})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("POST", "/api/v1/sanitizations/bulk", payload,
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"bulk answered {response.status}: {body}")
    return elapsed, body


def _client(port: int, requests: list[bytes], deadline: float, out, lock, cursor) -> None:
    """One connection: send a prepared request, read the answer (Content-Length), reconnect if closed."""
    sock = None
    while time.perf_counter() < deadline:
        with lock:
            i = next(cursor, None)
        if i is None:
            break
        t0 = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(requests[i])
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the answer")
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split()[1])
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
            length = int(fields.get(b"content-length", b"0"))
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed mid-answer")
                body += chunk
            ok = status in (200, 201)
            if fields.get(b"connection", b"").lower() == b"close":
                sock.close()
                sock = None
        except OSError as exc:
            ok, body = False, str(exc).encode()
            if sock is not None:
                sock.close()
            sock = None
        dt = time.perf_counter() - t0
        with lock:
            out.append((dt, None if ok else body[:200].decode(errors="replace")))
    if sock is not None:
        sock.close()


def load_generator(port: int, token: str, requests: list[tuple[str, str, str | None]], clients: int,
                   seconds: float, conn) -> None:
    """Runs in its own process (so its work never shares a GIL with the timing): CLIENTS threads,
    keep-alive connections, requests encoded up front. Sends back latencies, errors and its own CPU time."""
    encoded = []
    for method, path, body in requests:
        payload = (body or "").encode()
        encoded.append((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
    out: list = []
    lock = threading.Lock()
    cursor = iter(range(len(encoded)))
    cpu0 = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=_client, args=(port, encoded, started + seconds, out, lock, cursor))
               for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conn.send({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu0, "results": out})
    conn.close()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """user + system CPU of these processes (Linux /proc): the server's work, whatever else the machine runs."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def server_pids(gunicorn: subprocess.Popen, db_url: str) -> list[int]:
    """The gunicorn master and workers, and the PostgreSQL backends connected to the bench database."""
    import psycopg

    children = Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children").read_text().split()
    with psycopg.connect(db_url, autocommit=True) as conn:
        backends = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return [gunicorn.pid, *map(int, children)], backends


def run_load(port: int, token: str, requests: list[tuple[str, str, str | None]], clients: int,
             server: tuple[subprocess.Popen, str] | None = None) -> dict:
    """Bounded by count and time (PHASE_SECONDS); the generator is a separate process whose CPU is reported."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=load_generator, args=(port, token, requests, clients, PHASE_SECONDS, child))
    proc.start()
    child.close()
    # Backends are connected by now (the health check and earlier phases warmed every worker's pool).
    app_pids, db_pids = server_pids(*server) if server else ([], [])
    app0, db0 = _cpu_seconds(app_pids), _cpu_seconds(db_pids)
    got = parent.recv()
    app_cpu, db_cpu = _cpu_seconds(app_pids) - app0, _cpu_seconds(db_pids) - db0
    proc.join(30)
    latencies = sorted(dt for dt, _ in got["results"])
    errors = [e for _, e in got["results"] if e is not None]
    wall = got["wall"]
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"n": len(latencies), "wall": wall, "rps": len(latencies) / wall, "p50": p(0.50), "p99": p(0.99),
            "mean": statistics.fmean(latencies) * 1000 if latencies else 0, "errors": errors,
            "client_cpu": got["cpu"] / wall, "client_us": got["cpu"] / max(1, len(latencies)) * 1e6,
            "app_ms": app_cpu / max(1, len(latencies)) * 1000, "db_ms": db_cpu / max(1, len(latencies)) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent connections of the load generator")
    parser.add_argument("--gunicorn", default="", help="extra gunicorn options over gunicorn.conf.py, e.g. '-w 3'")
    args = parser.parse_args()
    admin_url = args.url.replace("postgresql+psycopg://", "postgresql://")
    name = create_database(admin_url)
    db_url = admin_url.rsplit("/", 1)[0] + "/" + name
    storage = tempfile.mkdtemp(prefix="itad-bench-")
    proc = None
    try:
        print(f"database {name}: building with migrations and seeding...", flush=True)
        data = seed(db_url, storage, args.requests)
        port = free_port()
        proc = start_gunicorn(db_url, storage, port, args.gunicorn.split())
        print(f"gunicorn: gunicorn.conf.py {args.gunicorn} on 127.0.0.1:{port}; load generator: a separate process, "
              f"{args.clients} keep-alive connections\n", flush=True)

        floor = bulk_floor(db_url)
        app_pids, db_pids = server_pids(proc, db_url)
        app0, db0 = {p: _cpu_seconds([p]) for p in app_pids}, _cpu_seconds(db_pids)
        elapsed, body = run_bulk(port, data["token"], data["bulk_media"])
        # One worker served it: the one that spent most (others may still be booting, which is not the
        # request's work). A backend the request opened counts whole: it did nothing else.
        app_cpu = max(_cpu_seconds([p]) - t for p, t in app0.items())
        db_cpu = _cpu_seconds(server_pids(proc, db_url)[1]) - db0
        bulk_ok = elapsed < BULK_TARGET_S and body["applied"] == BULK_ITEMS
        print(f"bulk   {BULK_ITEMS} results: {elapsed:.2f} s ({body['applied']} applied, {body['rejected']} rejected)"
              f"   floor (bare executemany of {BULK_ITEMS} rows): {floor:.2f} s   target < {BULK_TARGET_S:.1f} s"
              f"   {'PASS' if bulk_ok else 'FAIL'}")
        print(f"{'':26}server CPU for the bulk request: gunicorn {app_cpu:.2f} s + PostgreSQL {db_cpu:.2f} s "
              f"(the machine's load stretches the seconds, not this)")

        server = (proc, db_url)
        health = run_load(port, data["token"], [("GET", "/api/v1/health", None)] * args.requests, args.clients, server)
        wipe = json.dumps({"method": "purge", "technique": "crypto_erase", "tool": "bench", "tool_version": "1",
                           "passes": 1, "verified_by_tool": True})
        single = run_load(port, data["token"], [("POST", f"/api/v1/devices/{d}/sanitizations", wipe)
                                                 for d in data["single_devices"][:args.requests]], args.clients, server)
        single_ok = single["rps"] >= SINGLE_TARGET_RPS and single["p99"] < SINGLE_TARGET_P99_MS and not single["errors"]
        for label, r in (("floor  GET /health       ", health), ("single POST sanitization", single)):
            print(f"{label}: {r['n']} requests in {r['wall']:.2f} s = {r['rps']:.0f} req/s, "
                  f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, errors {len(r['errors'])}; "
                  f"load generator CPU {r['client_cpu'] * 100:.0f}% of a core ({r['client_us']:.0f} us/request)")
            print(f"{'':26}server CPU per request: gunicorn {r['app_ms']:.2f} ms + PostgreSQL {r['db_ms']:.2f} ms")
        print(f"single/floor server CPU per request: "
              f"{(single['app_ms'] + single['db_ms']) / max(1e-9, health['app_ms'] + health['db_ms']):.1f}x "
              f"(on a busy machine the req/s follow the share of CPU it leaves; this ratio does not)")
        print(f"single target >= {SINGLE_TARGET_RPS} req/s and p99 < {SINGLE_TARGET_P99_MS} ms, no errors: "
              f"{'PASS' if single_ok else 'FAIL'}")
        if single["errors"]:
            print("first error:", single["errors"][0])
        return 0 if bulk_ok and single_ok else 1
    finally:
        if proc:
            stop(proc)
        drop_database(admin_url, name)


if __name__ == "__main__":
    raise SystemExit(main())
