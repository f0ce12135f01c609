"""gunicorn for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README); bench/workflow.py runs the same.

Threaded workers keep client connections alive (sync workers close each one, and a bench station or an
erasure tool sends many requests in a row) and let a worker's other threads run while one waits on
PostgreSQL. One process per core: a process runs Python on one core at a time (the GIL), so more
processes than cores only add switching between them; measured under bench/workflow.py on 2 cores,
4 processes x 2 threads spent about 12 ms of CPU per wipe request where 2 x 4 spent about 8.
Four threads stay within SQLAlchemy's pool of five connections, so no connection is opened and
closed per request. Nothing is kept in a process, so more machines simply run more of them.
"""

import multiprocessing

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = multiprocessing.cpu_count()
threads = 4
timeout = 60
