"""Background jobs as the API shows them: one row per piece of work handed to a worker.

The row, not Redis, is the truth about a job: RQ only carries "run job N". The
state moves queued -> running -> succeeded | failed, and back to queued when an
attempt fails or is abandoned and attempts are left.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, db, utcnow


class JobState(str, enum.Enum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (
        sa.Index("ix_job_org_id", "organization_id", "id"),
        # The reaper looks for running jobs whose heartbeat went quiet.
        sa.Index("ix_job_state_heartbeat", "state", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Dotted name of the job function, e.g. "itad.intake.jobs.import_batch".
    kind: Mapped[str] = mapped_column(sa.String(200))
    queue: Mapped[str] = mapped_column(sa.String(40))
    # Keyword arguments: ids and plain values, never objects.
    args: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(sa.String(16), default=JobState.queued.value)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    result: Mapped[dict | None] = mapped_column(JSONType)
    # For people: why the last attempt failed (no traceback; that goes to the log).
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    timeout_seconds: Mapped[int] = mapped_column(default=1800)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # The RQ job that carries the current attempt (a new one for each push).
    rq_job_id: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @property
    def done(self) -> bool:
        return self.state in (JobState.succeeded.value, JobState.failed.value)
