"""Tests only: lift the evidence tables' append-only triggers (migration 0015) inside one transaction, to empty
the tables between tests or to play an attacker with write access to the database."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa


@contextlib.contextmanager
def unguarded(conn):
    """`conn`: a Connection in a transaction. PostgreSQL: triggers do not fire for this transaction (replica
    role; superuser). SQLite: the triggers are dropped and created again, as they were, at the end."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        try:
            yield
        finally:
            conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
        return
    saved = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE 'append_only_%'")).all()
    for name, _ in saved:
        conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        for _, sql in saved:
            conn.execute(sa.text(sql))
