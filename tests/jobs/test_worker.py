"""Real Redis, real `itad worker` processes: progress, crashes, rollbacks, inline parity."""

from __future__ import annotations

import signal
import time

import pytest
import sqlalchemy as sa
from rq import Queue

from itad.jobs import enqueue
from itad.jobs.dispatch import queue_name, redis_connection
from itad.models import Organization
from tests.jobs.conftest import PATIENCE, job_row, wait_for
from tests.jobs.sample_jobs import always_fails, count_to, hangs

pytestmark = pytest.mark.redis


def _queue(app, name="default") -> Queue:
    return Queue(queue_name(app.config, name), connection=redis_connection(app.config))


def _orgs(session, slug: str) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(Organization).where(Organization.slug == slug))


def test_a_job_runs_in_a_worker_and_its_progress_and_result_show_in_the_api(queued, workers, session, client, world):
    job = enqueue(session, count_to, steps=8, step_seconds=0.25, slug="queued-a",
                  organization_id=world.acme.org.id, created_by_id=world.acme.user.id)
    session.commit()
    assert _queue(queued).count == 1  # sent on commit, nothing ran in this process
    assert job_row(job.id).state == "queued"

    worker = workers.start("default", "--burst")
    url = f"/api/v1/jobs/{job.id}"

    def midway():
        body = client.get(url, headers=world.acme.headers).get_json()
        return body if body["state"] == "running" and 0 < body["progress"]["done"] < 8 else None

    seen = wait_for(midway, "the job to report progress while running")
    assert seen["progress"]["total"] == 8 and 0 < seen["progress"]["percent"] < 100

    worker.wait(timeout=PATIENCE)
    body = client.get(url, headers=world.acme.headers).get_json()
    assert body["state"] == "succeeded", workers.output()
    assert body["progress"] == {"done": 8, "total": 8, "percent": 100.0}
    assert body["result"]["slug"] == "queued-a"
    assert body["links"]["organization"].startswith("/orgs/") and body["links"]["self"] == url
    assert body["attempts"] == 1 and body["error"] is None
    assert _orgs(session, "queued-a") == 1


def test_a_worker_killed_mid_job_leaves_it_to_a_new_worker_which_completes_it_exactly_once(
        queued, workers, session, world, tmp_path):
    job = enqueue(session, count_to, steps=12, step_seconds=0.25, slug="survivor", marker_dir=str(tmp_path),
                  organization_id=world.acme.org.id)
    session.commit()

    first = workers.start()
    wait_for(lambda: job_row(job.id).progress_done >= 3, "the first worker to be mid-job")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=PATIENCE)
    killed = job_row(job.id)
    assert killed.state == "running" and killed.progress_done < 12
    assert _orgs(session, "survivor") == 0  # the killed attempt left nothing half-written

    workers.start()
    done = wait_for(lambda: (r := job_row(job.id)).state in ("succeeded", "failed") and r,
                    "a new worker to finish the abandoned job")
    assert done.state == "succeeded", (done.error, workers.output())
    assert done.attempts == 2
    assert done.progress_done == 12
    assert len((tmp_path / "attempts.log").read_text().splitlines()) == 2
    assert _orgs(session, "survivor") == 1


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(queued, workers, session, world):
    enqueue(session, count_to, steps=1, slug="rolled-back", organization_id=world.acme.org.id)
    session.rollback()
    assert _queue(queued).count == 0
    kept = enqueue(session, count_to, steps=1, slug="committed", organization_id=world.acme.org.id)
    session.commit()
    assert _queue(queued).count == 1

    workers.start("default", "--burst").wait(timeout=PATIENCE)
    assert job_row(kept.id).state == "succeeded", workers.output()
    assert _orgs(session, "committed") == 1
    assert _orgs(session, "rolled-back") == 0


def test_a_job_that_keeps_failing_or_overruns_its_timeout_ends_failed_with_its_reason(
        queued, workers, session, client, world):
    failing = enqueue(session, always_fails, reason="The certificate key is locked.",
                      organization_id=world.acme.org.id)
    slow = enqueue(session, hangs, organization_id=world.acme.org.id)
    session.commit()

    workers.start("default", "snmp", "--burst").wait(timeout=PATIENCE)
    body = client.get(f"/api/v1/jobs/{failing.id}", headers=world.acme.headers).get_json()
    assert (body["state"], body["attempts"]) == ("failed", 3), workers.output()
    assert "The certificate key is locked." in body["error"]
    body = client.get(f"/api/v1/jobs/{slow.id}", headers=world.acme.headers).get_json()
    assert (body["state"], body["attempts"]) == ("failed", 1)
    assert "time limit of 1 seconds" in body["error"]


def _comparable(row) -> dict:
    result = dict(row.result)
    result.pop("slug")
    result["links"] = sorted(result["links"])
    return {"state": row.state, "done": row.progress_done, "total": row.progress_total,
            "attempts": row.attempts, "error": row.error, "result": result}


def test_inline_mode_gives_the_same_job_record_as_queued_mode(app, queued, workers, session, world):
    kwargs = dict(steps=3, organization_id=world.acme.org.id)
    queued_job = enqueue(session, count_to, slug="parity-queued", **kwargs)
    session.commit()
    workers.start("default", "--burst").wait(timeout=PATIENCE)

    app.config["REDIS_URL"] = None
    inline_job = enqueue(session, count_to, slug="parity-inline", **kwargs)
    session.commit()

    assert _comparable(job_row(inline_job.id)) == _comparable(job_row(queued_job.id))
    assert _orgs(session, "parity-queued") == _orgs(session, "parity-inline") == 1


def test_a_worker_leaves_its_stop_channel_at_once_instead_of_waiting_out_the_pubsub_sleep(queued):
    # RQ subscribes each worker to a channel for stop and kill commands, served by a thread that
    # RQ's teardown joins without a bound; with RQ's 60 s sleep that join took up to a minute.
    from itad.jobs.worker import _Worker

    worker = _Worker([_queue(queued)], connection=redis_connection(queued.config), name=f"itad-test-{time.time_ns()}")
    worker.subscribe()
    time.sleep(0.5)     # the thread is reading, as in a worker waiting for work
    # The race RQ's teardown loses now and then, made certain: the thread sees the unsubscribe
    # confirmed and goes back to waiting before it is told to stop.
    worker.pubsub.unsubscribe()
    time.sleep(0.5)
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < 30
    assert not worker.pubsub_thread.is_alive()
