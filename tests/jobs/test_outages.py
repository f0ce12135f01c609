"""Jobs through outages of their dependencies, without stopping the shared PostgreSQL or Redis:
a worker pointed at a closed port stands for a database that is down, a socket that accepts
connections but never answers for a Redis that is paused or unreachable, and a redis-server of
the test's own is restarted for real."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading

import pytest
from rq.job import Job as RQJob

from itad.jobs import enqueue, reaper
from itad.jobs.dispatch import redis_connection
from itad.models import db
from tests.jobs.conftest import PATIENCE, Workers, job_row, wait_for
from tests.jobs.sample_jobs import count_to

pytestmark = pytest.mark.redis

CLOSED_DATABASE = "postgresql://nobody@127.0.0.1:1/none"


@pytest.fixture
def reap_at_once(app):
    """The reaper's clock at zero: every job it looks at counts as old enough."""
    saved = app.config["JOB_ABANDON_SECONDS"]
    app.config["JOB_ABANDON_SECONDS"] = 0
    yield lambda: reaper.reap(app)
    app.config["JOB_ABANDON_SECONDS"] = saved


@pytest.fixture
def silent_port():
    """A port whose kernel completes the TCP handshake, and then nobody ever says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def test_a_job_taken_while_the_database_was_down_is_sent_again_and_completes(
        queued, workers, session, world, queue_prefix, tmp_path, reap_at_once):
    job = enqueue(session, count_to, steps=2, slug="after-outage", organization_id=world.acme.org.id)
    session.commit()
    first_message = job_row(job.id).rq_job_id

    # A worker whose database is down takes the message and cannot even claim the row: RQ fails it.
    down = Workers(CLOSED_DATABASE, queue_prefix, tmp_path)
    down.start("default", "--burst").wait(timeout=PATIENCE)
    assert job_row(job.id).state == "queued"
    assert RQJob.fetch(first_message, connection=redis_connection(queued.config)).get_status() == "failed", \
        down.output()

    assert reap_at_once() == [(job.id, "resent")]
    resent = job_row(job.id)
    assert resent.state == "queued" and resent.rq_job_id != first_message

    workers.start("default", "--burst").wait(timeout=PATIENCE)
    done = job_row(job.id)
    assert done.state == "succeeded", (done.error, workers.output())
    assert done.attempts == 1
    assert reap_at_once() == []


def test_a_commit_while_redis_does_not_answer_returns_and_the_reaper_sends_the_job_later(
        queued, workers, world, silent_port, reap_at_once):
    real_redis = queued.config["REDIS_URL"]
    queued.config["REDIS_URL"] = f"redis://127.0.0.1:{silent_port}/0"
    made: list[int] = []

    def register_and_commit():
        # A thread of its own (its own session), so a hang shows as a thread still alive.
        with queued.app_context():
            job = enqueue(db.session, count_to, steps=1, slug="redis-silent", organization_id=world.acme.org.id)
            db.session.commit()
            made.append(job.id)
            db.session.remove()

    thread = threading.Thread(target=register_and_commit, daemon=True)
    thread.start()
    thread.join(timeout=PATIENCE)
    queued.config["REDIS_URL"] = real_redis
    assert not thread.is_alive(), "the commit hung on a Redis that does not answer"
    job_id = made[0]

    row = job_row(job_id)
    assert row.state == "queued"  # committed, waiting for its message
    assert not RQJob.exists(row.rq_job_id, connection=redis_connection(queued.config))

    assert reap_at_once() == [(job_id, "resent")]
    workers.start("default", "--burst").wait(timeout=PATIENCE)
    assert job_row(job_id).state == "succeeded", workers.output()


class PrivateRedis:
    """A redis-server of this test's own (free port, no persistence), to stop and start at will."""

    def __init__(self, folder):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder, self.proc = folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self._pong(), "the private redis-server to answer")

    def _pong(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url).ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_worker_outlives_a_redis_restart_in_the_middle_of_a_job_and_takes_the_next_one(
        app, session, world, database_url, queue_prefix, tmp_path, private_redis):
    saved = {k: app.config[k] for k in ("REDIS_URL", "JOB_QUEUE_PREFIX")}
    app.config.update(REDIS_URL=private_redis.url, JOB_QUEUE_PREFIX=queue_prefix)
    pool = Workers(database_url, queue_prefix, tmp_path, redis_url=private_redis.url)
    try:
        first = enqueue(session, count_to, steps=10, step_seconds=0.3, slug="through-restart",
                        organization_id=world.acme.org.id)
        session.commit()
        worker = pool.start("default")
        wait_for(lambda: job_row(first.id).progress_done >= 2, "the worker to be mid-job")

        private_redis.stop()  # RQ cannot record the job's end while Redis is away
        wait_for(lambda: job_row(first.id).state == "succeeded", "the job to finish in the database")
        # Twice: the loop gave up on Redis, started again while Redis was still away, and gave up again.
        wait_for(lambda: pool.output().count("work loop ended") >= 2, "the worker to retry while Redis is away")
        private_redis.start()  # empty: nothing survived the restart

        second = enqueue(session, count_to, steps=1, slug="after-restart", organization_id=world.acme.org.id)
        session.commit()
        done = wait_for(lambda: (r := job_row(second.id)).state in ("succeeded", "failed") and r,
                        "the same worker to take the next job")
        assert done.state == "succeeded", pool.output()
        assert worker.poll() is None, pool.output()  # the same process, still working
    finally:
        pool.stop_all()
        app.config.update(saved)
