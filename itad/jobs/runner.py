"""Running one attempt of a job, and recording how it went.

RQ calls :func:`run` with a job id (by import string); the inline mode calls
:func:`run_inline`. The Job row is the truth, and every move of its state is a
conditional UPDATE, so that however often a job is delivered (a retry, a worker
that was thought dead, a push repeated by the reaper) exactly one attempt takes it
from queued to running, and exactly one takes it to succeeded or failed.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from itad.errors import DomainError
from itad.jobs.context import JobContext
from itad.jobs.registry import UnknownJob, lookup
from itad.models import Job, JobState, db, utcnow

log = logging.getLogger(__name__)

SUCCEEDED, FAILED, RETRY, SKIPPED = "succeeded", "failed", "retry", "skipped"
QUEUED, RUNNING = JobState.queued.value, JobState.running.value

_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """The app a worker process runs jobs with (built once per worker)."""
    global _app
    _app = app


def _the_app() -> Flask:
    if _app is not None:
        return _app
    if has_app_context():
        return current_app._get_current_object()
    from itad import create_app

    bind_app(create_app())
    return _app


def run(job_id: int) -> str:
    """RQ entry point: one attempt, then the next push if the attempt asks for a retry."""
    from itad.jobs import dispatch

    app = _the_app()
    outcome, pending = attempt(app, job_id, current_rq_job_id())
    if pending is not None:
        dispatch.push(app.config, pending)
    return outcome


def run_inline(app: Flask, job_id: int) -> str:
    """No Redis: run the attempts here, one after the other, until one ends the job."""
    outcome = RETRY
    for _ in range(1000):  # bounded by max_attempts; the cap only guards against a bug
        outcome, _pending = attempt(app, job_id, None)
        if outcome != RETRY:
            break
    return outcome


def current_rq_job_id() -> str | None:
    from rq import get_current_job

    current = get_current_job()
    return current.id if current is not None else None


def attempt(app: Flask, job_id: int, rq_job_id: str | None):
    """Claim the job, run its function, record the result. Returns the outcome and,
    for a retry under RQ, what to push next (after this commit)."""
    with app.app_context():
        try:
            return _attempt(app.config, job_id, rq_job_id)
        finally:
            db.session.remove()


def _claim(job_id: int, rq_job_id: str | None) -> int | None:
    now = utcnow()
    conditions = [Job.id == job_id, Job.state == QUEUED]
    if rq_job_id is not None:
        # A message from an earlier push (the job was re-queued since) is stale.
        conditions.append(Job.rq_job_id == rq_job_id)
    claimed = db.session.execute(
        sa.update(Job).where(*conditions)
        .values(state=RUNNING, attempts=Job.attempts + 1, started_at=now, heartbeat_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    return db.session.execute(sa.select(Job.attempts).where(Job.id == job_id)).scalar_one()


def _attempt(config, job_id: int, rq_job_id: str | None):
    attempt_no = _claim(job_id, rq_job_id)
    if attempt_no is None:
        row = db.session.get(Job, job_id)
        log.info("job %s not taken: %s", job_id, "no such row" if row is None else f"it is {row.state}")
        return SKIPPED, None
    job = db.session.get(Job, job_id)
    progress = _ProgressWriter(db.engine, job_id, attempt_no)
    ctx = JobContext(db.session, job_id, attempt_no, job.organization_id, job.created_by_id, progress)
    heartbeat = _Heartbeat(progress, config["JOB_HEARTBEAT_SECONDS"])
    try:
        spec = lookup(job.kind)
        kwargs = _arguments(spec.func, job)
        heartbeat.start()
        try:
            result = spec.func(ctx, **kwargs)
        finally:
            heartbeat.stop()
        result = json.loads(json.dumps(result)) if result is not None else None
        finished = db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt_no)
            .values(state=SUCCEEDED, result=result, error=None, finished_at=utcnow(), heartbeat_at=utcnow(),
                    **progress.final_values())
            .execution_options(synchronize_session=False)
        ).rowcount
        if finished != 1:
            # The reaper gave this job to another attempt: that one's work counts.
            db.session.rollback()
            log.warning("job %s attempt %s finished, but the job had been taken from it", job_id, attempt_no)
            return SKIPPED, None
        db.session.commit()
        return SUCCEEDED, None
    except Exception as exc:  # noqa: BLE001 - any failure of the job is recorded on its row
        db.session.rollback()
        log.exception("job %s (%s) attempt %s failed", job_id, job.kind, attempt_no)
        return _record_failure(config, job, attempt_no, describe(exc, job), fails_for_good(exc), _details(exc))


class _BadArguments(TypeError):
    pass


def fails_for_good(exc: BaseException) -> bool:
    """A refusal of the job's own input (a manifest with bad rows, an unknown id) is refused again
    on every attempt, so it fails at once; a conflict or an outage may pass, so those are retried."""
    if isinstance(exc, (UnknownJob, _BadArguments)):
        return True
    return isinstance(exc, DomainError) and exc.status not in (409, 503)


def _details(exc: BaseException) -> dict | None:
    """What a person needs to fix the input (e.g. every bad row), kept on the job's result."""
    if isinstance(exc, DomainError) and exc.details is not None:
        return {"error": json.loads(json.dumps({"code": exc.code, "details": exc.details}, default=str))}
    return None


def _arguments(func, job: Job) -> dict[str, Any]:
    kwargs = dict(job.args or {})
    params = inspect.signature(func).parameters
    for name in ("organization_id", "created_by_id"):
        if name in params and name not in kwargs:
            kwargs[name] = getattr(job, name)
    try:
        inspect.signature(func).bind(None, **kwargs)
    except TypeError as exc:
        raise _BadArguments(f"The job's arguments do not fit {job.kind}: {exc}.") from None
    return kwargs


def describe(exc: BaseException, job: Job) -> str:
    """A sentence a person can act on; the traceback stays in the log."""
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, JobTimeoutException):
        return f"It ran longer than its time limit of {job.timeout_seconds} seconds and was stopped."
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, (UnknownJob, _BadArguments)):
        return str(exc)
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}: {text}"


def _record_failure(config, job: Job, attempt_no: int, message: str, permanent: bool,
                    details: dict | None = None):
    from itad.jobs.dispatch import Pending, new_rq_job_id

    job_id, max_attempts = job.id, job.max_attempts
    owned = (Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt_no)
    if permanent or attempt_no >= max_attempts:
        values = dict(state=FAILED, finished_at=utcnow(), result=details,
                      error=message if permanent else f"Failed {attempt_no} time(s), giving up. Last error: {message}")
        outcome, pending = FAILED, None
    else:
        rq_job_id = new_rq_job_id(job_id) if config.get("REDIS_URL") else None
        values = dict(state=QUEUED, rq_job_id=rq_job_id,
                      error=f"Attempt {attempt_no} of {max_attempts} failed, trying again: {message}")
        outcome = RETRY
        pending = Pending(job_id, job.queue, rq_job_id, job.timeout_seconds) if rq_job_id else None
    changed = db.session.execute(
        sa.update(Job).where(*owned).values(**values).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if changed != 1:
        return SKIPPED, None
    return outcome, pending


class _ProgressWriter:
    """Writes progress and heartbeats on its own connection, in its own short
    transaction, so they are visible while the job's own transaction is open."""

    MIN_INTERVAL = 0.5  # seconds between progress writes

    def __init__(self, engine: sa.Engine, job_id: int, attempt_no: int):
        self.engine, self.job_id, self.attempt_no = engine, job_id, attempt_no
        self.done: int | None = None
        self.total: int | None = None
        self._written_at = 0.0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = int(done)
        if total is not None:
            self.total = int(total)
        now = time.monotonic()
        last = self.total is not None and self.done >= self.total
        if last or now - self._written_at >= self.MIN_INTERVAL:
            self._written_at = now
            self._write(progress_done=self.done, progress_total=self.total)

    def beat(self) -> None:
        self._write()

    def final_values(self) -> dict:
        if self.done is None:
            return {}
        return {"progress_done": self.done, "progress_total": self.total}

    def _write(self, **values) -> None:
        stmt = (sa.update(Job.__table__)
                .where(Job.id == self.job_id, Job.state == RUNNING, Job.attempts == self.attempt_no)
                .values(heartbeat_at=utcnow(), **values))
        with self._lock:
            try:
                with self.engine.connect() as conn:
                    sqlite = conn.dialect.name == "sqlite"
                    if sqlite:
                        # SQLite has one writer: while the job's own transaction writes,
                        # skip this report rather than wait for it.
                        conn.exec_driver_sql("PRAGMA busy_timeout=200")
                    try:
                        conn.execute(stmt)
                        conn.commit()
                    finally:
                        if sqlite:
                            conn.rollback()
                            conn.exec_driver_sql("PRAGMA busy_timeout=10000")
            except sa.exc.OperationalError as exc:
                log.debug("job %s: progress not written (%s)", self.job_id, exc)


class _Heartbeat:
    """A thread that tells the reaper this attempt is alive, even through a long
    step that reports no progress."""

    def __init__(self, writer: _ProgressWriter, interval: float):
        self.writer, self.interval = writer, max(0.05, float(interval))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"job-{self.writer.job_id}-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.writer.beat()
            except Exception:  # noqa: BLE001 - a missed beat must not kill the job
                log.exception("job %s: heartbeat failed", self.writer.job_id)
