"""The worker process behind ``itad worker``: RQ's SimpleWorker plus our reaper.

SimpleWorker runs each job in the worker process itself (no fork per job): the
app, its configuration and its connection pool are built once, and a job killed
with the process leaves its Job row ``running`` with a heartbeat that stops, which
is what the reaper looks for. RQ still enforces the job timeout (SIGALRM).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

from flask import Flask

from itad.jobs import reaper, runner
from itad.jobs.dispatch import queue_name, redis_connection
from itad.jobs.registry import QUEUES

log = logging.getLogger(__name__)


class NoRedis(RuntimeError):
    pass


def work(app: Flask, queues: list[str] | tuple[str, ...] = QUEUES, burst: bool = False) -> None:
    from rq import Queue, SimpleWorker

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
    name = f"itad-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        SimpleWorker(rq_queues, connection=connection, name=name).work(burst=burst, with_scheduler=False)
    finally:
        stop.set()


def _reap_once(app: Flask) -> None:
    try:
        for job_id, outcome in reaper.reap(app):
            log.info("reaper: job %s %s", job_id, outcome)
    except Exception:  # noqa: BLE001 - the next pass tries again
        log.exception("reaper pass failed")


def _reap_periodically(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(app.config["JOB_REAP_SECONDS"]):
        _reap_once(app)
