"""What a job function receives besides its ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass
class JobContext:
    """The session to work in, who the job is for, and where progress goes.

    The runner commits ``session`` once, after the function returns, together with
    the job's success: a job's writes and its "succeeded" land in one transaction,
    so a job killed half-way leaves nothing behind. Job functions therefore add and
    flush, never commit, and must be safe to run again (look before inserting).

    A CLI command can call a job function directly with ``JobContext(session,
    on_progress=bar)`` (see :func:`itad.jobs.progress.cli_progress`).
    """

    session: Session
    job_id: int | None = None
    attempt: int = 1
    organization_id: int | None = None
    created_by_id: int | None = None
    on_progress: ProgressCallback | None = field(default=None, repr=False)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report ``done`` of ``total`` units (total may stay None until known).
        Cheap to call often: the database write is throttled."""
        if self.on_progress is not None:
            self.on_progress(done, total)
