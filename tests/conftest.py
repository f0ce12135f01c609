"""Test harness: a real database built by the migrations, emptied after each test.

The suite runs on SQLite by default. With DATABASE_URL pointing at PostgreSQL it
creates a fresh database for the run (so parallel runs never meet), builds it
with ``flask db upgrade`` and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.append_only import unguarded

from itad import create_app
from itad.models import db


# What the suite leaves for a person to look at (pages, screenshots). One folder per database:
# .ci/run runs the SQLite and the PostgreSQL suites at once in one clone, and a file both wrote
# at the same moment was read back empty.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / (
    "postgresql" if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")) else "sqlite")


def _postgres_admin_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").replace("postgres://", "postgresql://")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import psycopg

    admin_url = _postgres_admin_url(url)
    name = f"itad_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app_config(database_url, tmp_path_factory):
    """Config shared by every app the tests build (the environment does not leak in)."""
    return {
        "ENVIRON": {},
        "DATABASE_URL": database_url,
        "TESTING": True,
        "SECRET_KEY": "test-only-" + uuid.uuid4().hex,
        "STORAGE_DIR": str(tmp_path_factory.mktemp("storage")),
        "SIGNING_KEY_PASSPHRASE": "test-passphrase",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        # Still scrypt, at a 32nd of the default cost: most tests build five users, and at full cost
        # hashing their passwords was minutes of each suite run.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }


@pytest.fixture(scope="session")
def app(app_config):
    application = create_app(app_config)
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    return application


def _empty_all_tables() -> None:
    engine = db.engine
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn, unguarded(conn):
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield
        db.session.remove()
        _empty_all_tables()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(session):
    """Two client organizations and the operator, each with users and tokens."""
    from tests.factories import World

    return World.build(session)
