"""Background jobs, as the person who started one watches it."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from pydantic import Field

from itad.api import bp
from itad.api.contract import current_user, operation
from itad.pagination import page
from itad.api.schemas import Out, PageQuery
from itad.auth.access import get_visible, scope
from itad.models import Job, db


class Progress(Out):
    done: int
    total: int | None
    percent: float | None = Field(description="None while the total is unknown")


class JobOut(Out):
    id: int
    kind: str
    queue: str
    state: str = Field(description="queued, running, succeeded or failed")
    progress: Progress
    result: dict | None
    links: dict[str, str]
    error: str | None = Field(description="why the last attempt failed, for people")
    attempts: int
    max_attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


class JobListQuery(PageQuery):
    state: str | None = Field(None, pattern="^(queued|running|succeeded|failed)$")


class JobPage(Out):
    items: list[JobOut]
    next_cursor: int | None


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; they are stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def job_out(job: Job) -> JobOut:
    total = job.progress_total
    if job.state == "succeeded":
        percent = 100.0
    elif total:
        percent = round(min(100.0, 100.0 * job.progress_done / total), 1)
    else:
        percent = None
    links = {"self": f"/api/v1/jobs/{job.id}"}
    if isinstance(job.result, dict) and isinstance(job.result.get("links"), dict):
        links.update({str(k): str(v) for k, v in job.result["links"].items()})
    return JobOut(
        id=job.id, kind=job.kind, queue=job.queue, state=job.state,
        progress=Progress(done=job.progress_done, total=total, percent=percent),
        result=job.result, links=links, error=job.error, attempts=job.attempts, max_attempts=job.max_attempts,
        created_at=_utc(job.created_at), started_at=_utc(job.started_at), finished_at=_utc(job.finished_at),
        heartbeat_at=_utc(job.heartbeat_at),
    )


@bp.get("/jobs")
@operation("List your background jobs, newest last", query=JobListQuery, response=JobPage, tags=("jobs",))
def list_jobs(query: JobListQuery):
    stmt = scope(sa.select(Job), Job, current_user())
    if query.state:
        stmt = stmt.where(Job.state == query.state)
    rows, next_cursor = page(db.session, stmt, Job.id, query.limit, query.cursor)
    return JobPage(items=[job_out(j) for j in rows], next_cursor=next_cursor)


@bp.get("/jobs/<int:job_id>")
@operation("Get a background job: state, progress, result and links, or why it failed",
           response=JobOut, tags=("jobs",), errors=(404,))
def get_job(job_id: int):
    return job_out(get_visible(db.session, Job, job_id, current_user(), "job"))
