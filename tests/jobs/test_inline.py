"""Without REDIS_URL, jobs run in-process right after the commit, and the Job row tells the story."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from itad.jobs import enqueue
from itad.jobs.reaper import reap
from itad.models import Job, Organization, utcnow
from tests.jobs.conftest import job_row
from tests.jobs.sample_jobs import always_fails, count_to, fails_first_time, refuses_its_input


def orgs_with_slug(session, slug: str) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Organization).where(Organization.slug == slug))


def test_a_job_waits_for_the_commit_then_runs_inline_and_records_its_result(session, world):
    job = enqueue(session, count_to, steps=4, slug="inline-a", organization_id=world.acme.org.id,
                  created_by_id=world.acme.user.id)
    assert job.id is not None and job.state == "queued"
    assert orgs_with_slug(session, "inline-a") == 0  # flushed, not run
    session.commit()

    row = job_row(job.id)
    assert row.state == "succeeded"
    assert (row.progress_done, row.progress_total, row.attempts) == (4, 4, 1)
    assert row.result["slug"] == "inline-a"
    assert row.result["links"]["organization"].startswith("/orgs/")
    assert row.started_at is not None and row.finished_at is not None and row.error is None
    assert orgs_with_slug(session, "inline-a") == 1


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(session, world):
    job = enqueue(session, count_to, steps=1, slug="never", organization_id=world.acme.org.id)
    job_id = job.id
    session.rollback()
    session.commit()  # a later commit must not send the forgotten job either

    assert session.get(Job, job_id) is None
    assert orgs_with_slug(session, "never") == 0


def test_a_failing_job_is_retried_a_bounded_number_of_times_then_fails_with_its_reason(session, world):
    job = enqueue(session, always_fails, reason="Row 7, column serial: empty; give the serial number.",
                  organization_id=world.acme.org.id)
    session.commit()

    row = job_row(job.id)
    assert row.state == "failed"
    assert row.attempts == row.max_attempts == 3
    assert "Row 7, column serial: empty" in row.error
    assert "Failed 3 time(s)" in row.error
    assert row.finished_at is not None


def test_a_job_whose_input_is_refused_fails_at_once_and_keeps_every_problem(session, world):
    problems = [{"row": 7, "column": "Serial", "value": "", "message": "empty"},
                {"row": 9, "column": "Category", "value": "Lapotp", "message": "unknown; did you mean Laptop?"}]
    job = enqueue(session, refuses_its_input, problems=problems, organization_id=world.acme.org.id)
    session.commit()

    row = job_row(job.id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.error == "The asset list has problems."
    assert row.result == {"error": {"code": "manifest_rows", "details": problems}}


def test_a_job_that_fails_once_succeeds_on_its_second_attempt(session, world, tmp_path):
    job = enqueue(session, fails_first_time, marker_dir=str(tmp_path), organization_id=world.acme.org.id)
    session.commit()

    row = job_row(job.id)
    assert (row.state, row.attempts, row.result) == ("succeeded", 2, {"attempt": 2})
    assert len((tmp_path / "attempts.log").read_text().splitlines()) == 2


def test_arguments_that_do_not_fit_the_function_fail_at_once_without_retries(session, world):
    job = enqueue(session, count_to, steps=1, organization_id=world.acme.org.id)  # slug missing
    session.commit()

    row = job_row(job.id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert "slug" in row.error


def test_jobs_take_ids_not_objects(session, world):
    with pytest.raises(TypeError, match="ids and plain values"):
        enqueue(session, count_to, steps=1, slug=world.acme.org, organization_id=world.acme.org.id)


def test_a_function_without_the_job_decorator_cannot_be_enqueued(session, world):
    def not_a_job(ctx):
        pass

    with pytest.raises(LookupError, match="is not a job"):
        enqueue(session, not_a_job, organization_id=world.acme.org.id)


def _stale_running_job(session, org_id: int, attempts: int, max_attempts: int) -> int:
    job = Job(kind="tests.jobs.sample_jobs.count_to", queue="default", args={"steps": 1, "slug": "x"},
              state="running", attempts=attempts, max_attempts=max_attempts, organization_id=org_id,
              started_at=utcnow() - timedelta(minutes=5), heartbeat_at=utcnow() - timedelta(minutes=5))
    session.add(job)
    session.commit()
    return job.id


def test_the_reaper_queues_an_abandoned_job_again_while_attempts_are_left(app, session, world):
    job_id = _stale_running_job(session, world.acme.org.id, attempts=1, max_attempts=3)

    assert reap(app) == [(job_id, "requeued")]
    row = job_row(job_id)
    assert row.state == "queued"
    assert "stopped sending heartbeats" in row.error


def test_the_reaper_fails_an_abandoned_job_with_no_attempts_left_and_says_why(app, session, world):
    job_id = _stale_running_job(session, world.acme.org.id, attempts=3, max_attempts=3)

    assert reap(app) == [(job_id, "failed")]
    row = job_row(job_id)
    assert row.state == "failed"
    assert "no attempts left" in row.error


def test_the_reaper_leaves_a_job_with_a_fresh_heartbeat_alone(app, session, world):
    job_id = _stale_running_job(session, world.acme.org.id, attempts=1, max_attempts=3)
    session.execute(sa.update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))
    session.commit()

    assert reap(app) == []
    assert job_row(job_id).state == "running"
