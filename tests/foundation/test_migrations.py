"""The schema comes from the migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from itad.models import db


def _script() -> ScriptDirectory:
    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))


def test_there_is_exactly_one_migration_head():
    assert len(_script().get_heads()) == 1


def test_upgraded_database_matches_the_models():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    assert diffs == []


def test_database_is_at_the_head_revision():
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(_script().get_heads())


def test_downgrading_and_upgrading_again_keeps_every_row_that_names_a_device(session):
    """SQLite rebuilds device for 0009; with foreign keys on, dropping the old table would delete the
    rows that reference it (ON DELETE CASCADE). The round trip keeps them, on both databases."""
    from flask_migrate import downgrade, upgrade
    import sqlalchemy as sa

    from tests.factories import make_batch, make_org

    make_batch(session, make_org(session), devices=3, media_per_device=2)
    session.commit()
    session.close()
    counts = "SELECT (SELECT count(*) FROM device), (SELECT count(*) FROM storage_medium)"
    with db.engine.connect() as conn:
        before = tuple(conn.execute(sa.text(counts)).one())

    downgrade(revision="0008")
    upgrade()

    with db.engine.connect() as conn:
        assert tuple(conn.execute(sa.text(counts)).one()) == before == (3, 6)
        if conn.dialect.name == "sqlite":  # back on for the connections the app goes on using
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
