"""The ITAD workflow server: a Flask app built by create_app()."""

from __future__ import annotations

import logging
import select

import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import IntegerConverter

from itad import config as config_module

# Ids are INTEGER columns (int32 on PostgreSQL); larger numbers cannot name a row.
MAX_ID = 2**31 - 1


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work while a writer commits.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """A pooled PostgreSQL connection the server has closed (a restart, a terminated backend) is
    replaced before a request uses it (the pool retries on DisconnectionError).

    An idle connection hears from the server only when it goes away: a FATAL message, then EOF. So a
    socket with nothing to read is as alive as a round trip could show, and one with something to
    read is dropped (a rare harmless message costs one reconnect). pool_pre_ping sent a query on every
    checkout instead: a round trip per request, client and server."""
    if dbapi_connection.closed or select.select([dbapi_connection], [], [], 0)[0]:
        raise sa.exc.DisconnectionError("the server closed this pooled connection")


def _decimal_upto(n: int) -> str:
    """A regex for the decimal numbers 0..n (leading zeros allowed)."""
    digits = str(n)
    options = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        # Same prefix, a smaller digit here, anything after. No leading zero in the first place.
        low = 1 if i == 0 else 0
        if int(d) - 1 >= low:
            options.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "0*(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to what a database id can hold.

    The bound is in the regex, not only in to_python: Werkzeug treats a value that
    fails to_python on one rule as a path match for the other methods, and would
    answer 405 where 404 is right.
    """

    regex = _decimal_upto(MAX_ID)

    def __init__(self, url_map, fixed_digits=0, min=0, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    app.config.update(config_module.load(app.instance_path, (config or {}).get("ENVIRON")))
    if config:
        overrides = {k: v for k, v in config.items() if k != "ENVIRON"}
        if "DATABASE_URL" in overrides:
            url = overrides.pop("DATABASE_URL")
            overrides["SQLALCHEMY_DATABASE_URI"] = config_module.database_uri(url)
            # The engine's options follow the database they are for (the environment's may name another).
            overrides.setdefault("SQLALCHEMY_ENGINE_OPTIONS", config_module.engine_options(
                url, overrides.get("DATABASE_CONNECT_TIMEOUT", app.config["DATABASE_CONNECT_TIMEOUT"])))
            # So does the default document store (an explicit STORAGE, in the config or its environment, stands).
            overrides.setdefault("STORAGE", config_module.storage_backend(config.get("ENVIRON"), url))
        app.config.update(overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from itad import errors, input_rules, security
    from itad.api import bp as api_bp
    from itad.cli import register_commands
    from itad.extensions import csrf, db, login_manager, migrate
    from itad.web import bp as web_bp, init_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    init_login(login_manager)
    errors.init_app(app)
    input_rules.init_app(app)
    security.init_app(app)
    app.register_blueprint(api_bp)
    # The API authenticates with bearer tokens, never cookies, so CSRF cannot reach it.
    csrf.exempt(api_bp)
    app.register_blueprint(web_bp)
    register_commands(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
        else:
            sa.event.listen(db.engine, "checkout", _closed_by_server)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
