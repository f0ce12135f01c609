"""The itad command and the configuration."""

import re

from itad import config
from itad.models import ApiToken, SigningKey, User


def test_demo_seeds_accounts_and_prints_working_tokens(app, client, session):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    tokens = dict(re.findall(r"^(client|admin)\s+\S+\s+token: (\S+)$", result.output, re.M))
    r = client.get("/api/v1/batches", headers={"Authorization": f"Bearer {tokens['client']}"})
    assert r.status_code == 200 and r.get_json()["items"] == []
    # Running it again is harmless: same users, new tokens.
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0
    assert session.query(User).count() == 4
    assert session.query(ApiToken).count() == 8


def test_demo_creates_one_signing_key_so_demo_batches_get_certificates(app, session):
    first = app.test_cli_runner().invoke(args=["demo"])
    assert "Signing key: created" in first.output
    again = app.test_cli_runner().invoke(args=["demo"])
    assert "the active one is kept" in again.output
    assert [k.active for k in session.query(SigningKey).all()] == [True]


def test_org_user_token_commands(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["org", "create", "Umbrella Corp"]).exit_code == 0
    r = runner.invoke(args=["user", "create", "it@umbrella.test", "--org", "umbrella-corp", "--role", "client",
                            "--name", "Alice"], input="long-password-1\nlong-password-1\n")
    assert r.exit_code == 0, r.output
    token = runner.invoke(args=["token", "create", "it@umbrella.test"]).output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["organization"]["slug"] == "umbrella-corp"


def test_cli_reports_errors_plainly(app):
    r = app.test_cli_runner().invoke(args=["token", "create", "nobody@nowhere.test"])
    assert r.exit_code != 0 and "No user with the email" in r.output


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = config.load(str(tmp_path), {})["SECRET_KEY"]
    second = config.load(str(tmp_path), {})["SECRET_KEY"]
    other = config.load(str(tmp_path / "elsewhere"), {})["SECRET_KEY"]
    assert first == second and first != other and len(first) >= 64


def test_embedded_default_keeps_a_signing_passphrase_but_production_must_set_one(tmp_path):
    embedded = config.load(str(tmp_path), {})["SIGNING_KEY_PASSPHRASE"]
    assert embedded and embedded == config.load(str(tmp_path), {})["SIGNING_KEY_PASSPHRASE"]
    production = config.load(str(tmp_path), {"DATABASE_URL": "postgresql://db/itad"})
    assert production["SIGNING_KEY_PASSPHRASE"] is None
    chosen = config.load(str(tmp_path), {"SIGNING_KEY_PASSPHRASE": "chosen"})
    assert chosen["SIGNING_KEY_PASSPHRASE"] == "chosen"


def test_database_url_defaults_to_sqlite_under_instance(tmp_path):
    uri = config.load(str(tmp_path), {})["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{tmp_path / 'itad.sqlite3'}"


def test_postgres_urls_use_psycopg3():
    assert config.database_uri("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.database_uri("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.database_uri("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_passwords_use_full_cost_scrypt_by_default_and_any_stored_cost_still_signs_in(app, tmp_path):
    from itad.auth.passwords import check_password, hash_password

    assert config.load(str(tmp_path), {})["PASSWORD_HASH_METHOD"] == "scrypt"
    cheap = hash_password("s3cret-pass")  # the suite's own setting
    assert cheap.startswith("scrypt:1024:8:1$")
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        full = hash_password("s3cret-pass")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    assert full.startswith("scrypt:32768:8:1$")
    assert check_password(cheap, "s3cret-pass") and check_password(full, "s3cret-pass")
    assert not check_password(full, "wrong") and not check_password(None, "s3cret-pass")


def test_an_app_given_a_database_url_gets_that_databases_engine_options(tmp_path):
    # The environment says SQLite (checked with a query before each use); the app is told PostgreSQL,
    # whose pooled connections are checked without a round trip and give up connecting after a timeout.
    from itad import create_app

    app = create_app({"ENVIRON": {"DATABASE_URL": f"sqlite:///{tmp_path / 'env.sqlite3'}",
                                  "DATABASE_CONNECT_TIMEOUT": "7", "SECRET_KEY": "x"},
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"connect_timeout": 7}}
    sqlite = create_app({"ENVIRON": {"SECRET_KEY": "x"}, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}"})
    assert sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
