"""Job functions for the tests; a worker process imports this module by the job's kind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlalchemy as sa

from itad.errors import Invalid
from itad.jobs import JobContext, job
from itad.models import Organization


def _note_attempt(ctx: JobContext, marker_dir: str | None) -> None:
    if marker_dir:
        with open(Path(marker_dir) / "attempts.log", "a") as fh:
            fh.write(f"job {ctx.job_id} attempt {ctx.attempt} pid {os.getpid()}\n")
            fh.flush()
            os.fsync(fh.fileno())


@job("default")
def count_to(ctx: JobContext, steps: int, slug: str, step_seconds: float = 0.0,
             marker_dir: str | None = None) -> dict:
    """Counts in steps, then registers one organization named by ``slug``: looked
    up before it is added, so a second run finds it instead of adding another."""
    _note_attempt(ctx, marker_dir)
    for i in range(steps):
        time.sleep(step_seconds)
        ctx.progress(i + 1, steps)
    org = ctx.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        org = Organization(name=f"Made by job {ctx.job_id}", slug=slug, kind="client")
        ctx.session.add(org)
        ctx.session.flush()
    return {"steps": steps, "slug": slug, "links": {"organization": f"/orgs/{org.id}"}}


@job("default", retries=2)
def always_fails(ctx: JobContext, reason: str) -> None:
    raise ConnectionError(reason)  # may pass another time, so it is retried


@job("default", retries=2)
def refuses_its_input(ctx: JobContext, problems: list) -> None:
    raise Invalid("The asset list has problems.", code="manifest_rows", details=problems)


@job("default", retries=1)
def fails_first_time(ctx: JobContext, marker_dir: str) -> dict:
    _note_attempt(ctx, marker_dir)
    if ctx.attempt == 1:
        raise ConnectionError("the scanner did not answer")
    return {"attempt": ctx.attempt}


@job("snmp", timeout=1, retries=0)
def hangs(ctx: JobContext) -> None:
    time.sleep(10)
