"""Fixtures for the job tests: real Redis under a prefix of its own, real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from itad.models import Job, db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
# How long a test waits for a worker's doing before it fails: a bound, not an expected time. A worker
# that starts and finishes in 3 s on an idle machine takes many times that while other suites run.
PATIENCE = 180.0


@pytest.fixture(scope="session")
def queue_prefix():
    """One prefix per test session: parallel runs on the same Redis never take each other's jobs."""
    prefix = f"itad-test-{uuid.uuid4().hex[:10]}-"
    yield prefix
    try:
        import redis

        conn = redis.Redis.from_url(REDIS_URL)
        keys = list(conn.scan_iter(f"*{prefix}*")) + list(conn.scan_iter("rq:job:itad-job-*"))
        # Job hashes have no prefix; only those of this session's queues are ours.
        mine = [k for k in keys if prefix.encode() in k or prefix.encode() in (conn.hget(k, "origin") or b"")]
        if mine:
            conn.delete(*mine)
    except Exception:
        pass


@pytest.fixture
def queued(app, queue_prefix):
    """The app in queued mode (REDIS_URL set) for one test."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    saved = {k: app.config[k] for k in ("REDIS_URL", "JOB_QUEUE_PREFIX")}
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE_PREFIX=queue_prefix)
    yield app
    app.config.update(saved)


class Workers:
    """Starts ``python -m itad.cli worker`` processes on the test database and Redis."""

    def __init__(self, database_url: str, prefix: str, logs: Path, redis_url: str = REDIS_URL):
        self.database_url, self.prefix, self.logs, self.redis_url = database_url, prefix, logs, redis_url
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        """``env`` adds to or overrides the worker's environment (e.g. the app's SECRET_KEY)."""
        extra = env or {}
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "JOB_QUEUE_PREFIX": self.prefix,
            # Short clocks so a killed worker's job is found abandoned within seconds, with room for a live
            # worker's heartbeats to come late (a busy machine) before its job counts as abandoned.
            "JOB_HEARTBEAT_SECONDS": "0.3", "JOB_ABANDON_SECONDS": "5", "JOB_REAP_SECONDS": "0.5",
            "SECRET_KEY": "test-worker", "STORAGE_DIR": str(self.logs / "storage"),
            "PYTHONPATH": str(ROOT), "FLASK_APP": "",
            **extra,
        }
        log = open(self.logs / f"worker-{len(self.procs)}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "itad.cli", "worker", *args], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("worker-*.log")))

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def workers(queued, database_url, queue_prefix, tmp_path, request):
    pool = Workers(database_url, queue_prefix, tmp_path)
    yield pool
    pool.stop_all()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(pool.output())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def job_row(job_id: int) -> Job:
    """The row as committed now (a fresh read, not the session's cached object)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Job, job_id)


def wait_for(predicate, what: str, timeout: float = PATIENCE, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
