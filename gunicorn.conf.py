"""gunicorn for production: `gunicorn -c gunicorn.conf.py wsgi:app` (README); bench/workflow.py runs the same.

Threaded workers keep client connections alive (sync workers close each one, and a bench station or an
erasure tool sends many requests in a row) and let a worker's second thread run while the first waits
on PostgreSQL. Two processes per core keep every core busy; nothing is kept in a process, so more
machines simply run more of them.
"""

import multiprocessing

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = 2 * multiprocessing.cpu_count()
threads = 2
timeout = 60
