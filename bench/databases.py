"""A fresh database of each kind for a bench run: a temporary SQLite file, and a PostgreSQL database created on the
server given (an admin connection) and dropped when the run ends."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from typing import Iterator


@contextlib.contextmanager
def fresh(kind: str, admin_url: str) -> Iterator[str]:
    """The URL of an empty database of `kind` ("sqlite" or "postgresql"), gone after the block."""
    if kind == "sqlite":
        yield f"sqlite:///{tempfile.mkdtemp(prefix='itad-bench-db-')}/bench.db"
        return
    import psycopg

    name = f"itad_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
