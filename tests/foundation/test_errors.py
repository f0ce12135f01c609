"""Every API error is JSON {"error": {code, message, details}} with the fitting status."""

import pytest
import sqlalchemy as sa

from itad import create_app


def _assert_error(response, status, code=None):
    assert response.status_code == status
    assert response.content_type.startswith("application/json")
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code:
        assert error["code"] == code
    assert b"Traceback" not in response.data and b"<html" not in response.data.lower()
    return error


def test_400_for_malformed_json(client, world):
    r = client.post("/api/v1/tokens", data="{not json", content_type="application/json", headers=world.acme.headers)
    _assert_error(r, 400, "malformed_json")


def test_422_for_a_body_that_breaks_the_schema(client, world):
    r = client.post("/api/v1/tokens", json={"name": ""}, headers=world.acme.headers)
    error = _assert_error(r, 422, "validation_failed")
    assert error["details"][0]["field"] == "name"


def test_401_without_a_token(client):
    _assert_error(client.get("/api/v1/batches"), 401, "unauthorized")


def test_401_with_a_made_up_token(client):
    _assert_error(client.get("/api/v1/batches", headers={"Authorization": "Bearer itad_nope"}), 401)


def test_403_when_a_client_calls_an_admin_endpoint(client, world):
    error = _assert_error(client.post("/api/v1/organizations", json={"name": "X"}, headers=world.acme.headers), 403,
                          "forbidden")
    assert error["details"] == {"required": ["admin"], "role": "client"}


def test_403_when_a_technician_calls_an_admin_endpoint(client, world):
    _assert_error(client.post("/api/v1/users", json={}, headers=world.tech.headers), 403)


def test_404_for_an_unknown_api_path(client, world):
    _assert_error(client.get("/api/v1/no-such-thing", headers=world.acme.headers), 404, "not_found")


def test_405_for_a_wrong_method(client, world):
    r = client.put("/api/v1/batches", headers=world.acme.headers)
    _assert_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_413_for_a_body_over_the_limit(app_config, world):
    app = create_app({**app_config, "MAX_CONTENT_LENGTH": 1024})
    r = app.test_client().post("/api/v1/tokens", data=b"x" * 4096, content_type="application/json",
                                 headers=world.acme.headers)
    error = _assert_error(r, 413, "too_large")
    assert error["details"] == {"limit_bytes": 1024}


def test_500_is_json_without_a_traceback(app_config, caplog):
    app = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    r = app.test_client().get("/api/v1/boom")
    error = _assert_error(r, 500, "internal_error")
    assert b"secret internal detail" not in r.data
    assert "secret internal detail" in caplog.text  # logged for the operator


def test_admin_creates_organizations_and_users(client, world):
    r = client.post("/api/v1/organizations", json={"name": "Initech"}, headers=world.admin.headers)
    assert r.status_code == 201
    org = r.get_json()
    r = client.post("/api/v1/users", headers=world.admin.headers, json={
        "organization_id": org["id"], "email": "it@initech.test", "name": "Peter", "role": "client"})
    assert r.status_code == 201 and r.get_json()["organization"]["slug"] == "initech"
    dup = client.post("/api/v1/organizations", json={"name": "Initech"}, headers=world.admin.headers)
    _assert_error(dup, 409, "duplicate")


@pytest.mark.parametrize("role", ["technician", "admin"])
def test_client_organizations_cannot_hold_operator_roles(client, world, role):
    r = client.post("/api/v1/users", headers=world.admin.headers, json={
        "organization_id": world.acme.org.id, "email": f"{role}@acme.test", "name": "X", "role": role})
    _assert_error(r, 422, "role_mismatch")


def test_503_with_retry_after_when_the_database_is_unreachable(app_config):
    # Nothing listens on port 1: the same answer a client gets while PostgreSQL restarts.
    app = create_app({**app_config, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    r = app.test_client().get("/api/v1/health")
    error = _assert_error(r, 503, "unavailable")
    assert error["details"] == {"dependency": "database"}
    assert r.headers["Retry-After"] == "5"


def test_503_not_a_hang_when_the_database_accepts_connections_but_never_answers(app_config):
    # The kernel completes the TCP handshake, then nobody speaks: like a PostgreSQL host that froze.
    # Without a connect timeout the request would wait for the server forever.
    import socket
    import threading

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/none"
        config = {k: v for k, v in app_config.items() if k != "DATABASE_URL"}
        app = create_app({**config, "ENVIRON": {"DATABASE_URL": url, "DATABASE_CONNECT_TIMEOUT": "2"}})
        answers = []
        thread = threading.Thread(target=lambda: answers.append(app.test_client().get("/api/v1/health")),
                                  daemon=True)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the request hung on a database that does not answer"
    error = _assert_error(answers[0], 503, "unavailable")
    assert error["details"] == {"dependency": "database"}
    assert answers[0].headers["Retry-After"] == "5"


def test_a_pooled_connection_the_server_closed_is_replaced_before_a_request_uses_it(app_config):
    # What a PostgreSQL restart does to every idle pooled connection; noticed without a round trip.
    if not app_config["DATABASE_URL"].startswith("postgres"):
        pytest.skip("needs PostgreSQL: an SQLite connection has no server to close it")
    import psycopg

    from itad.models import db

    # The suite's PostgreSQL URL gives the app PostgreSQL's engine options, as in production.
    served = create_app(app_config)
    with served.app_context():
        assert not db.engine.pool._pre_ping
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        db.session.rollback()       # back in the pool, idle
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.execute("SELECT pg_sleep(0.2)")       # the FATAL message and EOF reach the pooled socket
    assert served.test_client().get("/api/v1/health").status_code == 200
    with served.app_context():
        assert db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
        db.engine.dispose()
