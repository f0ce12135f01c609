"""The worker process behind ``itad worker``: RQ's SimpleWorker plus our reaper.

SimpleWorker runs each job in the worker process itself (no fork per job): the
app, its configuration and its connection pool are built once, and a job killed
with the process leaves its Job row ``running`` with a heartbeat that stops, which
is what the reaper looks for. RQ still enforces the job timeout (SIGALRM).

RQ's own loop survives Redis going away while it waits for work, but quits on a Redis error met
anywhere else (recording a job's end while Redis restarts). The job's outcome is in the database
by then, so ``work`` starts the loop again instead of letting the process end: a restart of Redis
must not take the workers with it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time

import redis.exceptions
from flask import Flask
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested

from itad.jobs import reaper, runner
from itad.jobs.dispatch import queue_name, redis_connection
from itad.jobs.registry import QUEUES

log = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 2.0


class NoRedis(RuntimeError):
    pass


# How long RQ's pubsub thread (stop and kill commands) waits per read. RQ asks for 60 s and counts on
# its unsubscribe to wake the thread; with redis-py 8 the thread, once unsubscribed, waits the whole
# sleep for a subscription that never comes, while RQ's teardown joins it without a bound: every
# worker exit (a burst worker's end, SIGTERM) then took up to a minute.
PUBSUB_SLEEP_SECONDS = 1.0


class _Worker(SimpleWorker):
    """SimpleWorker that remembers a stop request (SIGTERM, SIGINT): only then may the loop end."""

    stop_asked = False

    def handle_warm_shutdown_request(self):
        self.stop_asked = True
        super().handle_warm_shutdown_request()

    def subscribe(self):
        """RQ's own, with a short sleep for the pubsub thread (PUBSUB_SLEEP_SECONDS says why)."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=PUBSUB_SLEEP_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler)


def work(app: Flask, queues: list[str] | tuple[str, ...] = QUEUES, burst: bool = False) -> None:
    if not app.config.get("REDIS_URL"):
        raise NoRedis("REDIS_URL is not set: jobs run inline in the web process, so a worker has nothing to do.")
    unknown = [q for q in queues if q not in QUEUES]
    if unknown:
        raise ValueError(f"Unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUES)}.")
    runner.bind_app(app)
    connection = redis_connection(app.config)
    rq_queues = [Queue(queue_name(app.config, q), connection=connection) for q in queues]
    # A worker that starts after a crash first rescues what its predecessor left.
    _reap_once(app)
    stop = threading.Event()
    thread = threading.Thread(target=_reap_periodically, args=(app, stop), name="itad-reaper", daemon=True)
    thread.start()
    if app.config.get("CUSTODY_CHECKPOINT_SECONDS"):
        threading.Thread(target=_checkpoint_periodically, args=(app, stop), name="itad-checkpoint",
                         daemon=True).start()
    try:
        while True:
            rq_worker = None
            try:
                # A fresh name each time: RQ refuses a name whose registration may still be alive.
                rq_worker = _Worker(rq_queues, connection=connection,
                                    name=f"itad-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}")
                rq_worker.work(burst=burst, with_scheduler=False)
            except redis.exceptions.RedisError:
                log.exception("Redis failed under the worker")
            if burst or (rq_worker is not None and rq_worker.stop_asked):
                break
            log.warning("the work loop ended without a stop request (Redis unreachable?); "
                        "starting it again in %s s", RESTART_PAUSE_SECONDS)
            try:
                time.sleep(RESTART_PAUSE_SECONDS)
            except (StopRequested, redis.exceptions.RedisError):
                # SIGTERM during the pause reaches the last loop's handler, which may raise either.
                break
    finally:
        stop.set()


def _reap_once(app: Flask) -> None:
    try:
        for job_id, outcome in reaper.reap(app):
            log.info("reaper: job %s %s", job_id, outcome)
    except Exception:  # noqa: BLE001 - the next pass tries again
        log.exception("reaper pass failed")


def _checkpoint_periodically(app: Flask, stop: threading.Event) -> None:
    """Sign the custody chains' heads every CUSTODY_CHECKPOINT_SECONDS: several workers make one checkpoint per
    interval between them (checkpoints.make takes a lock and skips when the last one is recent)."""
    from datetime import timedelta

    from itad.models import db
    from itad.steps import checkpoints

    interval = float(app.config["CUSTODY_CHECKPOINT_SECONDS"])
    while not stop.wait(min(interval, 60.0)):
        try:
            with app.app_context():
                made = checkpoints.make(db.session, min_interval=timedelta(seconds=interval * 0.9))
                db.session.commit()
                if made is not None:
                    log.info("custody checkpoint %s: %d heads", made.id, len(made.heads))
        except Exception:  # noqa: BLE001 - no key yet, the database away: the next pass tries again
            log.exception("custody checkpoint failed")
        finally:
            with app.app_context():
                db.session.remove()


def _reap_periodically(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(app.config["JOB_REAP_SECONDS"]):
        _reap_once(app)
