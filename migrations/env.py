"""Alembic environment: the schema is built by these revisions, everywhere (tests too)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name)

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def run_migrations_offline():
    context.configure(url=str(db.engine.url), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _sqlite_foreign_key_check(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, True)


# SQLite alters a table by building a new one, copying the rows and dropping the old one (Alembic's
# batch mode). With foreign keys on, dropping a table that other tables reference deletes their rows
# first (ON DELETE CASCADE), so SQLite's procedure for such a rebuild
# (https://www.sqlite.org/lang_altertable.html#otheralter) turns them off around the transaction
# and runs foreign_key_check before the commit. The pragma is a no-op inside a transaction, hence
# outside begin_transaction(); the app turns them on for every connection it opens.

def _sqlite_foreign_keys(connection, on: bool) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _sqlite_foreign_key_check(connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rows left without their foreign key's target (table, rowid, parent, key): {broken[:20]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
