"""API tokens: only a hash is stored, revocation works, last use is recorded."""

import sqlalchemy as sa

from itad.models import ApiToken, db


def _all_text_in_database() -> str:
    chunks = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def test_plain_token_is_nowhere_in_the_database(client, world):
    assert client.get("/api/v1/me", headers=world.acme.headers).status_code == 200
    dump = _all_text_in_database()
    assert world.acme.token not in dump
    secret_part = world.acme.token.split("_", 1)[1]
    assert secret_part not in dump and secret_part[12:] not in dump


def test_token_identifies_its_user(client, world):
    body = client.get("/api/v1/me", headers=world.acme.headers).get_json()
    assert body["email"] == world.acme.user.email
    assert body["organization"]["id"] == world.acme.org.id


def test_revoked_token_is_refused(client, world, session):
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=world.acme.headers)
    assert created.status_code == 201
    new = created.get_json()
    headers = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{new['id']}", headers=world.acme.headers).status_code == 200
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"


def test_a_disabled_users_token_is_refused_from_the_next_request(client, world, session):
    assert client.get("/api/v1/me", headers=world.acme.headers).status_code == 200
    world.acme.user.active = False
    session.commit()
    refused = client.get("/api/v1/me", headers=world.acme.headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"


def test_a_client_cannot_revoke_someone_elses_token(client, world, session):
    other = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == world.globex.user.id))
    assert client.delete(f"/api/v1/tokens/{other.id}", headers=world.acme.headers).status_code == 404


def test_last_use_is_recorded(client, world, session):
    client.get("/api/v1/me", headers=world.acme.headers)
    session.expire_all()
    token = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == world.acme.user.id))
    assert token.last_used_at is not None


def test_create_token_shows_the_plain_value_once(client, world):
    created = client.post("/api/v1/tokens", json={"name": "once"}, headers=world.acme.headers).get_json()
    assert created["token"].startswith(created["prefix"])
    listed = client.get("/api/v1/tokens", headers=world.acme.headers).get_json()
    assert all("token" not in t for t in listed)
