"""The worker and job commands of the ``itad`` CLI."""

from __future__ import annotations

import json

import pytest

from itad.jobs import enqueue
from tests.jobs.sample_jobs import count_to


def test_the_worker_refuses_to_start_without_redis_and_says_why(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


@pytest.mark.redis
def test_the_worker_refuses_an_unknown_queue(app, queued):
    result = app.test_cli_runner().invoke(args=["worker", "--burst", "mail"])
    assert result.exit_code != 0
    assert "Unknown queue(s) mail" in result.output


def test_jobs_show_prints_the_job_record(app, session, world):
    job = enqueue(session, count_to, steps=2, slug="shown", organization_id=world.acme.org.id)
    session.commit()

    result = app.test_cli_runner().invoke(args=["jobs", "show", str(job.id)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["id"], body["state"], body["progress"]["done"]) == (job.id, "succeeded", 2)
