"""Rescuing jobs whose worker died: the abandoned and the never sent.

RQ 3 notices a dead worker's job only when its StartedJobRegistry entry expires,
at least 60 s after the last heartbeat (a constant in RQ), and then fails it
without knowing our Job row. So workers run this reaper instead, on a timer:

- a job ``running`` whose heartbeat is older than JOB_ABANDON_SECONDS was
  abandoned (SIGKILL, OOM, power loss). It goes back to ``queued`` with a new RQ
  message while attempts are left, else ends ``failed`` with the reason;
- a job ``queued`` for that long whose RQ message does not exist was committed
  while Redis was unreachable, or lost with a Redis restarted without persistence: it is
  pushed again;
- a job ``queued`` for that long whose RQ message already ended (RQ failed it because the
  database was down when a worker took it, so the row could not even be claimed) is pushed
  again under a new message id, so that the ended message can never claim it.

Every change is a conditional UPDATE, so several workers reaping at once agree.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from itad.jobs.dispatch import Pending, new_rq_job_id, push, redis_connection
from itad.models import Job, JobState, db, utcnow

log = logging.getLogger(__name__)


def reap(app: Flask) -> list[tuple[int, str]]:
    """One pass; returns (job id, what was done) for each job it touched."""
    with app.app_context():
        try:
            return _requeue_abandoned(app.config) + _resend_lost(app.config)
        finally:
            db.session.remove()


def _requeue_abandoned(config) -> list[tuple[int, str]]:
    cutoff = utcnow() - timedelta(seconds=config["JOB_ABANDON_SECONDS"])
    stale = db.session.execute(
        sa.select(Job.id, Job.queue, Job.attempts, Job.max_attempts, Job.timeout_seconds)
        .where(Job.state == JobState.running.value, Job.heartbeat_at < cutoff)
    ).all()
    db.session.rollback()
    done = []
    for row in stale:
        owned = (Job.id == row.id, Job.state == JobState.running.value, Job.attempts == row.attempts,
                 Job.heartbeat_at < cutoff)
        silence = f"its worker stopped sending heartbeats (killed or crashed) on attempt {row.attempts}"
        pending = None
        if row.attempts < row.max_attempts:
            rq_job_id = new_rq_job_id(row.id) if config.get("REDIS_URL") else None
            values = dict(state=JobState.queued.value, rq_job_id=rq_job_id,
                          error=f"Abandoned: {silence} of {row.max_attempts}; queued again.")
            pending = Pending(row.id, row.queue, rq_job_id, row.timeout_seconds) if rq_job_id else None
            outcome = "requeued"
        else:
            values = dict(state=JobState.failed.value, finished_at=utcnow(),
                          error=f"Abandoned: {silence} of {row.max_attempts}; no attempts left, giving up.")
            outcome = "failed"
        changed = db.session.execute(
            sa.update(Job).where(*owned).values(**values).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if changed != 1:
            continue
        log.warning("job %s abandoned by its worker: %s", row.id, outcome)
        if pending is not None:
            push(config, pending)
        done.append((row.id, outcome))
    return done


def _resend_lost(config) -> list[tuple[int, str]]:
    if not config.get("REDIS_URL"):
        return []
    from rq.job import Job as RQJob, JobStatus
    from rq.exceptions import NoSuchJobError

    cutoff = utcnow() - timedelta(seconds=config["JOB_ABANDON_SECONDS"])
    waiting = db.session.execute(
        sa.select(Job.id, Job.queue, Job.rq_job_id, Job.timeout_seconds)
        .where(Job.state == JobState.queued.value, Job.created_at < cutoff)
    ).all()
    db.session.rollback()
    connection = redis_connection(config)
    done = []
    for row in waiting:
        status = None
        if row.rq_job_id:
            try:
                status = RQJob.fetch(row.rq_job_id, connection=connection).get_status(refresh=False)
            except NoSuchJobError:
                status = None
        if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            continue  # on its way: a worker will claim it
        rq_job_id = row.rq_job_id
        if status is not None or not rq_job_id:
            # A new message id, taken only if the row is still as we read it (another reaper may be here).
            rq_job_id = new_rq_job_id(row.id)
            as_read = Job.rq_job_id.is_(None) if row.rq_job_id is None else Job.rq_job_id == row.rq_job_id
            changed = db.session.execute(
                sa.update(Job).where(Job.id == row.id, Job.state == JobState.queued.value, as_read)
                .values(rq_job_id=rq_job_id).execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            if changed != 1:
                continue
        # Otherwise a second message for the same attempt is harmless: only one can claim the row.
        push(config, Pending(row.id, row.queue, rq_job_id, row.timeout_seconds))
        why = "never reached Redis (or Redis lost it)" if status is None else f"its message ended {status.value}"
        log.warning("job %s was queued but %s: sent again", row.id, why)
        done.append((row.id, "resent"))
    return done
