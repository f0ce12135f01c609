"""Handing jobs over: a Job row now, the RQ message (or inline run) after commit.

``enqueue`` only adds and flushes the row. The push to Redis happens in the
session's after-commit hook, so a fast worker can never look for a row that is not
committed yet, and a transaction that rolls back leaves no job behind. Without
REDIS_URL the same hook runs the job in this process, after the commit, in a
fresh session: the embedded default works with no worker at all.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, scoped_session

from itad.jobs.registry import spec_for
from itad.models import Job, JobState

log = logging.getLogger(__name__)

_PENDING = "itad.jobs.pending"
_redis_clients: dict[str, Any] = {}
# A Redis that does not answer (a paused server, a dropped route) must not hold a request that has
# already committed: the push gives up after this long and the reaper sends the job later. RQ's
# worker raises the read timeout of its own connection above its blocking dequeue.
REDIS_SOCKET_SECONDS = 5


@dataclass(frozen=True)
class Pending:
    job_id: int
    queue: str
    rq_job_id: str
    timeout: int


def enqueue(session: Session, func: Callable, *, organization_id: int, created_by_id: int | None = None,
            **kwargs: Any) -> Job:
    """Record a job for ``func(ctx, **kwargs)`` and send it once ``session`` commits.

    ``organization_id`` is whose job it is (the tenant rule; the operator's org for
    operator work), ``created_by_id`` who asked. Both reach the function as
    ``ctx.organization_id`` / ``ctx.created_by_id`` (and as arguments if its
    signature names them). ``kwargs`` must be JSON: ids and plain values.
    """
    spec = spec_for(func)
    try:
        args = json.loads(json.dumps(kwargs))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Job arguments must be ids and plain values, not objects: {exc}") from None
    config = current_app.config
    retries = config["JOB_RETRIES"] if spec.retries is None else spec.retries
    job = Job(
        kind=spec.kind, queue=spec.queue, args=args, state=JobState.queued.value,
        progress_done=0, attempts=0, max_attempts=max(1, retries + 1),
        timeout_seconds=spec.timeout or config["JOB_TIMEOUT"],
        organization_id=organization_id, created_by_id=created_by_id,
    )
    session.add(job)
    session.flush()
    job.rq_job_id = new_rq_job_id(job.id)
    real = session() if isinstance(session, scoped_session) else session
    real.info.setdefault(_PENDING, []).append(Pending(job.id, job.queue, job.rq_job_id, job.timeout_seconds))
    return job


def new_rq_job_id(job_id: int) -> str:
    # Random part: several databases (test runs, installations) may share one Redis,
    # and each push of an attempt must be a new RQ job.
    return f"itad-job-{job_id}-{secrets.token_hex(6)}"


def queue_name(config, queue: str) -> str:
    return f"{config['JOB_QUEUE_PREFIX'] or ''}{queue}"


def redis_connection(config):
    import redis

    url = config["REDIS_URL"]
    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_SOCKET_SECONDS,
                                                   socket_timeout=REDIS_SOCKET_SECONDS)
    return _redis_clients[url]


def push(config, pending: Pending) -> None:
    """Put "run job N" on its RQ queue. The RQ job only carries the id."""
    from rq import Queue

    queue = Queue(queue_name(config, pending.queue), connection=redis_connection(config))
    queue.enqueue(
        "itad.jobs.runner.run", pending.job_id, job_id=pending.rq_job_id,
        # The runner catches RQ's timeout itself and records it on the row.
        job_timeout=pending.timeout, result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600,
        description=f"itad job {pending.job_id}",
    )


def _dispatch(app, pending: Pending) -> None:
    if app.config.get("REDIS_URL"):
        try:
            push(app.config, pending)
        except Exception:
            # The row is committed and stays queued; a worker's reaper pushes it again.
            log.exception("job %s is committed but could not be sent to Redis", pending.job_id)
    else:
        from itad.jobs.runner import run_inline

        run_inline(app, pending.job_id)


@sa.event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    app = current_app._get_current_object()
    for item in pending:
        _dispatch(app, item)


@sa.event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    # The rows are gone with the transaction, and so are their jobs. (A savepoint
    # rolled back keeps the list: the runner skips a job whose row does not exist.)
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
