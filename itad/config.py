"""All configuration, read from the environment in one place.

Nothing else in the code base reads ``os.environ``: every setting arrives here,
gets a type and a default, and lands in ``app.config``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _int(env: dict, key: str, default: int) -> int:
    raw = env.get(key)
    return default if raw in (None, "") else int(raw)


def _str(env: dict, key: str, default: str | None = None) -> str | None:
    raw = env.get(key)
    return default if raw in (None, "") else raw


def _float(env: dict, key: str, default: float) -> float:
    raw = env.get(key)
    return default if raw in (None, "") else float(raw)


def _bool(env: dict, key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def database_uri(url: str) -> str:
    """SQLAlchemy URL for a DATABASE_URL as people write it (postgres://...)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def engine_options(db_url: str, connect_timeout: int) -> dict:
    """A connection attempt gives up after connect_timeout seconds: a database that does not answer at all
    gets a 503 from the error handler, not a request that hangs until gunicorn kills its worker.
    Pooled PostgreSQL connections are checked before use without a round trip (a restarted PostgreSQL
    leaves dead ones behind): itad._closed_by_server."""
    if db_url.startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {"connect_args": {"connect_timeout": connect_timeout}}


def _instance_secret(instance: Path, name: str) -> str:
    """A random value kept under instance/, so it survives restarts
    without a constant in the code."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def storage_backend(env: dict | None, db_url: str) -> str:
    """STORAGE, else the default for the database (see load)."""
    value = _str(os.environ if env is None else env, "STORAGE") or \
        ("database" if db_url.startswith("postgres") else "folder")
    if value not in ("database", "folder"):
        raise ValueError(f"STORAGE must be 'database' or 'folder', not {value!r}")
    return value


def load(instance_path: str, environ: dict | None = None) -> dict:
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    db_url = _str(env, "DATABASE_URL") or f"sqlite:///{instance / 'itad.sqlite3'}"
    connect_timeout = _int(env, "DATABASE_CONNECT_TIMEOUT", 5)
    return {
        "SQLALCHEMY_DATABASE_URI": database_uri(db_url),
        "REDIS_URL": _str(env, "REDIS_URL"),
        "SECRET_KEY": _str(env, "SECRET_KEY") or _instance_secret(instance, "secret_key"),
        # Where certificates, erasure reports and uploads are kept (itad.documents): "database", the
        # default on PostgreSQL (web and worker machines then share nothing but the database and
        # Redis), or "folder", files under STORAGE_DIR, the embedded default.
        "STORAGE": storage_backend(env, db_url),
        "STORAGE_DIR": _str(env, "STORAGE_DIR", str(instance / "storage")),
        # Printed on certificates; the public verify page lives under it.
        "PUBLIC_BASE_URL": _str(env, "PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "OPERATOR_NAME": _str(env, "OPERATOR_NAME", "ITAD Operator"),
        # Passphrase that encrypts the certificate signing key at rest.
        # The embedded default (no DATABASE_URL) keeps one under instance/ so a newcomer's demo
        # signs certificates; production sets it, the same on every machine that signs.
        "SIGNING_KEY_PASSPHRASE": _str(env, "SIGNING_KEY_PASSPHRASE")
        or (None if _str(env, "DATABASE_URL") else _instance_secret(instance, "signing_key_passphrase")),
        # Upload limits: bytes for the whole request, rows for an asset list.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_BYTES", 64 * 1024 * 1024),
        "INTAKE_MAX_ROWS": _int(env, "INTAKE_MAX_ROWS", 200_000),
        # Lists longer than this go to a background job when Redis is set.
        "INTAKE_ASYNC_ROWS": _int(env, "INTAKE_ASYNC_ROWS", 20_000),
        # Background jobs (itad.jobs). Seconds a job may run, and how many times a job
        # that failed or was abandoned is tried again before it ends as failed.
        "JOB_TIMEOUT": _int(env, "JOB_TIMEOUT", 1800),
        "JOB_RETRIES": _int(env, "JOB_RETRIES", 3),
        # Prepended to every RQ queue name, so several installations (or test runs)
        # can share one Redis without taking each other's jobs.
        "JOB_QUEUE_PREFIX": _str(env, "JOB_QUEUE_PREFIX", ""),
        # A running job writes a heartbeat this often; one silent for JOB_ABANDON_SECONDS
        # is taken as abandoned (its worker was killed) and queued again. Workers look
        # for abandoned jobs every JOB_REAP_SECONDS.
        "JOB_HEARTBEAT_SECONDS": _float(env, "JOB_HEARTBEAT_SECONDS", 10.0),
        "JOB_ABANDON_SECONDS": _float(env, "JOB_ABANDON_SECONDS", 60.0),
        "JOB_REAP_SECONDS": _float(env, "JOB_REAP_SECONDS", 30.0),
        # Each worker signs the custody chains' heads this often (one checkpoint per interval, whatever the
        # number of workers); 0: never (then `itad audit checkpoint` from cron).
        "CUSTODY_CHECKPOINT_SECONDS": _float(env, "CUSTODY_CHECKPOINT_SECONDS", 3600.0),
        # An RFC 3161 time-stamp authority: certificates are then signed PAdES B-LT (time-stamped, with the
        # validation data embedded) and checkpoints carry a time-stamp token. TSA_TRUST_PEM: the PEM file of
        # the root the authority's certificate chains to. Unset: signatures as before, without a time-stamp.
        # Email of the clients' notifications (itad.notifications): unset SMTP_HOST, no email.
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": _int(env, "SMTP_PORT", 25),
        "SMTP_FROM": _str(env, "SMTP_FROM", "itad@localhost"),
        # A failed notification is tried again after this many seconds, then twice as long each time (<= 60 s).
        "NOTIFY_RETRY_SECONDS": _float(env, "NOTIFY_RETRY_SECONDS", 2.0),
        "TSA_URL": env.get("TSA_URL") or None,
        "TSA_TRUST_PEM": env.get("TSA_TRUST_PEM") or None,
        # SNMP probes (itad.discovery): seconds to wait for each answer, extra tries before a device
        # counts as silent, the whole-device budget, devices probed at once, and addresses per request.
        "SNMP_TIMEOUT": _float(env, "SNMP_TIMEOUT", 2.0),
        "SNMP_RETRIES": _int(env, "SNMP_RETRIES", 1),
        "SNMP_MAX_SECONDS": _float(env, "SNMP_MAX_SECONDS", 60.0),
        "SNMP_CONCURRENCY": _int(env, "SNMP_CONCURRENCY", 100),
        "SNMP_MAX_TARGETS": _int(env, "SNMP_MAX_TARGETS", 4096),
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", False),
        # A signed-in browser's session lasts this long at most (and its cookie too), then signs in again.
        "SESSION_LIFETIME_SECONDS": _float(env, "SESSION_LIFETIME_SECONDS", 12 * 3600.0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Werkzeug's method string; "scrypt" is scrypt at its default cost (n=2**15, r=8, p=1).
        "PASSWORD_HASH_METHOD": _str(env, "PASSWORD_HASH_METHOD", "scrypt"),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_SECONDS": _int(env, "LOGIN_LOCKOUT_SECONDS", 900),
        # Failed sign-ins from one address within the window before that address must wait.
        "LOGIN_IP_MAX_FAILURES": _int(env, "LOGIN_IP_MAX_FAILURES", 20),
        "LOGIN_IP_WINDOW_SECONDS": _int(env, "LOGIN_IP_WINDOW_SECONDS", 900),
        "DATABASE_CONNECT_TIMEOUT": connect_timeout,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(db_url, connect_timeout),
    }
