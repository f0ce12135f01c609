"""gunicorn for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README); bench/workflow.py runs the same.

Threaded workers keep client connections alive (sync workers close each one, and a bench station or an
erasure tool sends many requests in a row) and let a worker's other threads run while one waits on
PostgreSQL. One process per core: a process runs Python on one core at a time (the GIL), so more
processes than cores only add switching between them; measured under bench/workflow.py on 2 cores,
4 processes x 2 threads spent about 12 ms of CPU per wipe request where 2 x 4 spent about 8.
Four threads stay within SQLAlchemy's pool of five connections, so no connection is opened and
closed per request. Nothing is kept in a process, so more machines simply run more of them.
"""

import gc
import multiprocessing

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = multiprocessing.cpu_count()
threads = 4
timeout = 60


def post_worker_init(worker):
    """Move what start-up built (modules, the app, its mappers) out of the collector's sight.

    Those objects live as long as the worker, yet every full collection would walk them all again;
    frozen, a collection walks only what requests create. Collected first, so no start-up garbage
    is kept for the worker's life. Runs in each worker after it loaded the app (the master does not
    load it: no preload_app).
    """
    from sqlalchemy.orm import configure_mappers

    configure_mappers()     # otherwise done by the first request, after the freeze
    gc.collect()
    gc.freeze()
