"""The whole server under a mixed load, and under faults, on services of its own.

    python bench/load.py [--seconds 60] [--max-requests 40000] [--faults] [--keep]

Starts its OWN PostgreSQL cluster (initdb in a temporary folder, free port), its OWN redis-server
(free port, no persistence), gunicorn (4 workers) and 2 ``itad worker`` processes, all on 127.0.0.1
(it prints where), and removes them at the end, on Ctrl-C and on error too. It never touches the
machine's shared PostgreSQL or Redis.

The load (bench/workload.py), from threads with keep-alive connections (bounded: a fixed number of
threads, each waiting for its answer; the run stops at --seconds or --max-requests, whichever comes
first):

- clients (one thread per client organization) register batches of 20 laptops as JSON when the
  bench runs short of work, and otherwise list batches, list devices, list certificates and
  download certificate PDFs;
- technicians (6 threads, 4 technician accounts) take each registered unit through receive,
  sanitize, verify (a second technician: four-eyes), grade and clear; 2 units per batch are never
  received (they become `missing` at the close);
- an admin closes each batch once its units are done, which issues its signed certificate in the
  `certificates` queue;
- one client uploads an asset list of 20,000 rows (CSV), registered by a worker in the `imports`
  queue, and polls the job.

Floor, same run: GET /api/v1/health (the same app, one SELECT 1) from as many threads, before the mix.

After the load it drains the jobs and checks that nothing was lost (bench/ledger.py): every accepted
write is in the database, every custody chain verifies, every job succeeded, every certificate is
genuine (our verify service, and pdfsig on a few).

--faults adds, during the load (bench/faults.py): PostgreSQL stopped and started again (pg_ctl -m
fast) at 15 s; Redis stopped and started again at 35 s (its queued messages are lost: no
persistence) while a worker runs a second 20,000-row import, and a device certificate asked while
it is down; at 55 s the worker running a third import killed with SIGKILL. It asserts that while a
dependency is down every answer is 2xx or 503 with Retry-After (never a 500, never a hang past the
request timeout; PostgreSQL's outage must be seen as 503s, Redis's is not seen at all: jobs wait in
the database), that the server recovers by itself, that the jobs committed during the Redis outage
and the killed worker's job are finished by the workers (no worker may exit on its own), and that
no accepted write is lost.

PASS: no lost write, no broken chain, every job succeeded, every certificate genuine; no error
other than 503 (and, in fault runs, 409s from steps retried after an outage); in fault runs also
the fault assertions above. Speed has no target here (bench/workflow.py and bench/intake.py hold
those): the figures are printed beside the floor.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger import check  # noqa: E402
from loadgen import Http, Stats  # noqa: E402
from stack import Stack  # noqa: E402
from workload import (  # noqa: E402
    CLIENT_ORGS, TECH_THREADS, TECHNICIANS, Run, admin_loop, client_loop, intake, intake_loop, probe_loop,
    tech_loop,
)

FLOOR_SECONDS = 6
DRAIN_SECONDS = 240
PASSPHRASE = "load-bench-passphrase"
# Short job clocks, so a killed worker's job is found within seconds (defaults: 10, 60, 30).
JOB_CLOCKS = {"JOB_HEARTBEAT_SECONDS": "1", "JOB_ABANDON_SECONDS": "6", "JOB_REAP_SECONDS": "2"}


# -- the accounts ------------------------------------------------------------------------------

def seed(stack: Stack) -> dict:
    """The schema by the migrations, the signing key by `itad keys init`, accounts and tokens."""
    from itad import accounts, create_app
    from itad.models import db

    stack.itad("db", "upgrade")
    stack.itad("keys", "init", "--common-name", "Load Bench certificate signing")
    app = create_app({"ENVIRON": stack.env()})
    with app.app_context():
        s = db.session
        operator = accounts.create_organization(s, "Load Bench Operator", kind="operator", slug="operator")

        def token(org, role, n):
            user = accounts.create_user(s, org, f"{role}{n}@{org.slug}.test", f"{role.title()} {n}", role,
                                        "load-bench-password")
            return accounts.create_token(s, user, "load")[1]

        admin = token(operator, "admin", 1)
        techs = [token(operator, "technician", n) for n in range(TECHNICIANS)]
        clients = []
        for n in range(CLIENT_ORGS):
            org = accounts.create_organization(s, f"Client {n}", slug=f"client-{n}")
            clients.append(token(org, "client", n))
        s.commit()
    return {"app": app, "admin": admin, "techs": techs, "clients": clients}


def floor(port: int, threads: int, seconds: float) -> Stats:
    stats = Stats()
    stop = time.monotonic() + seconds

    def hammer():
        http = Http(port, stats)
        while time.monotonic() < stop:
            http.call("floor GET /health", "GET", "/api/v1/health", None)

    pool = [threading.Thread(target=hammer) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return stats


# -- faults ------------------------------------------------------------------------------------

def faults_loop(run: Run, stack: Stack, report: dict) -> None:
    """PostgreSQL restarted at 15 s, Redis at 35 s, the worker running an import killed at 55 s."""
    from faults import kill_worker_running, postgres_restart, redis_restart

    http = run.http()
    schedule = [(15, postgres_restart), (35, redis_restart), (55, kill_worker_running)]
    for at, fault in schedule:
        while run.running() and time.monotonic() - run.started < at:
            time.sleep(0.1)
        if not run.running():
            report.setdefault("skipped", []).append(fault.__name__)
            continue
        report[fault.__name__] = fault(run, stack, lambda prefix: intake(run, http, prefix))


# -- the report --------------------------------------------------------------------------------

def print_table(title: str, stats: Stats, wall: float) -> None:
    print(f"\n{title}")
    print(f"  {'request':<22}{'n':>7}{'2xx':>7}{'2xx/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'503':>6}{'409':>6}"
          f"{'other':>7}{'hang':>6}")
    rows = stats.by_kind()
    for kind in sorted(rows) + ["overall"]:
        r = stats.summary(None if kind == "overall" else kind)
        print(f"  {kind:<22}{r['n']:>7}{r['ok']:>7}{r['ok'] / wall:>8.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
              f"{r['503']:>6}{r['409']:>6}{r['other']:>7}{r['hang']:>6}")


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=None, help="load duration (default 60; 100 with --faults)")
    parser.add_argument("--max-requests", type=int, default=40_000)
    parser.add_argument("--faults", action="store_true", help="restart PostgreSQL and Redis, kill a worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data)")
    args = parser.parse_args()
    seconds = args.seconds or (100.0 if args.faults else 60.0)
    # SIGTERM ends the bench like Ctrl-C: through the finally below, which stops what it started.
    signal.signal(signal.SIGTERM, interrupted)

    stack = Stack({"SECRET_KEY": "load-bench", "SIGNING_KEY_PASSPHRASE": PASSPHRASE, **JOB_CLOCKS})
    try:
        return bench(stack, seconds, args.max_requests, args.faults)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what the bench started", flush=True)
        return 130
    finally:
        stack.keep = stack.keep or args.keep
        stack.close()
        print(f"stopped; {'kept' if stack.keep else 'removed'} {stack.base}")


def bench(stack: Stack, seconds: float, max_requests: int, faults: bool) -> int:
    print(f"folder {stack.base}", flush=True)
    stack.start_services()
    print(f"PostgreSQL {stack.postgres.bin.parent.name} (own cluster) on 127.0.0.1:{stack.postgres.port}, "
          f"redis-server (own) on 127.0.0.1:{stack.redis.port}", flush=True)
    tokens = seed(stack)
    app = tokens.pop("app")
    stack.start_web()
    for _ in range(2):
        stack.start_worker()
    print(f"gunicorn {stack.gunicorn_workers} workers on http://127.0.0.1:{stack.web_port}; 2 itad workers; "
          f"{TECH_THREADS} technician + {CLIENT_ORGS} client + admin + intake + probe threads", flush=True)

    threads = TECH_THREADS + CLIENT_ORGS
    base = floor(stack.web_port, threads, FLOOR_SECONDS)
    print_table(f"floor: GET /api/v1/health from {threads} threads for {FLOOR_SECONDS} s", base, FLOOR_SECONDS)

    run = Run(stack.web_port, tokens, seconds, max_requests)
    fault_report: dict = {}
    workers = [threading.Thread(target=tech_loop, args=(run, i), name=f"tech-{i}") for i in range(TECH_THREADS)]
    workers += [threading.Thread(target=client_loop, args=(run, i), name=f"client-{i}") for i in range(CLIENT_ORGS)]
    workers += [threading.Thread(target=admin_loop, args=(run,), name="admin"),
                threading.Thread(target=intake_loop, args=(run,), name="intake"),
                threading.Thread(target=probe_loop, args=(run,), name="probe")]
    if faults:
        workers.append(threading.Thread(target=faults_loop, args=(run, stack, fault_report), name="faults"))
    print(f"\nload: {seconds:.0f} s or {max_requests} requests{' with faults' if faults else ''}...", flush=True)
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    # Rates over the load itself: the fault thread may still have been watching a job after it.
    wall = (run.stopped_at or time.monotonic()) - run.started
    print_table(f"mixed load: {wall:.1f} s (requests still in flight at the stop finished after it)",
                run.stats, wall)

    drained = drain(app, DRAIN_SECONDS)
    findings = check(app, run.ledger)
    accepted = run.ledger.count()
    print(f"\nafter the run (jobs drained in {drained:.1f} s):")
    print(f"  accepted writes {sum(accepted.values())}: " + ", ".join(f"{k} {v}" for k, v in sorted(accepted.items())))
    print(f"  lost writes: {len(findings.lost)}")
    for line in findings.lost[:10]:
        print(f"    {line}")
    print(f"  custody chains verified: {findings.chains - len(findings.broken_chains)} ok, "
          f"{len(findings.broken_chains)} broken")
    print(f"  jobs: " + ", ".join(f"{k} {v}" for k, v in sorted(findings.jobs.items())))
    for line in (findings.unfinished_jobs + findings.broken_chains + findings.bad_certificates
                 + findings.duplicates)[:10]:
        print(f"    {line}")
    print(f"  certificates: {findings.certificates} issued, "
          f"{findings.certificates - len([b for b in findings.bad_certificates if ':' in b])} genuine "
          f"(verify service), {findings.pdfsig_checked} checked with pdfsig")
    if run.abandoned:
        print(f"  units or steps given up: {len(run.abandoned)}")
        for line in run.abandoned[:10]:
            print(f"    {line}")

    quit_workers = stack.exited_workers()
    print(f"  workers that exited on their own: {len(quit_workers)} (logs: {', '.join(quit_workers) or '-'})")
    errors = run.stats.summary(None)
    ok = findings.ok and not run.abandoned and errors["other"] == 0 and errors["hang"] == 0 and not quit_workers
    if not faults:
        ok = ok and errors["503"] == 0 and errors["409"] == 0
    else:
        from faults import print_faults

        ok = print_faults(app, run, fault_report) and ok
    print(f"\n{'PASS' if ok else 'FAIL'}: lost writes {len(findings.lost)}, errors other than 503/409 "
          f"{errors['other']}, hangs {errors['hang']}, 503s {errors['503']}")
    return 0 if ok else 1


def drain(app, limit: float) -> float:
    """Wait until no job is queued or running (the reaper may still have one to re-send)."""
    import sqlalchemy as sa

    from itad.models import Job, db

    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < limit:
            pending = db.session.scalar(sa.select(sa.func.count()).select_from(Job)
                                        .where(Job.state.in_(("queued", "running"))))
            db.session.rollback()
            if not pending:
                break
            time.sleep(0.5)
        db.session.remove()
    return time.monotonic() - started


if __name__ == "__main__":
    raise SystemExit(main())
