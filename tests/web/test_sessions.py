"""Sign-in under attack: parallel guesses at one account hit the same lock; a session ends on the server at
sign-out, password or role change, deactivation and the end of its lifetime; known and unknown emails take the
same work; API tokens can expire."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from itad.auth.passwords import hash_password
from itad.models import User, WebSession, db, utcnow
from tests.factories import PASSWORD
from tests.web.conftest import CSRF, Browser, _FreshUserClient


def _login(app, email, password):
    browser = app.test_client()
    token = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    return browser.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _refresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_a_session_ends_on_the_server_at_sign_out_even_for_a_copied_cookie(app, world):
    browser = Browser(app, world.acme.user)
    assert browser.get("/").status_code == 200
    copied = browser.http.client.get_cookie("session")            # an attacker's copy of the cookie
    browser.post("/logout")
    thief = _FreshUserClient(app.test_client())
    thief.client.set_cookie("session", copied.value)
    page = thief.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_password_or_role_change_or_deactivation_ends_the_users_sessions(app, world, session):
    for change in ("password", "role", "active"):
        user = _refresh(world.acme.user.id)
        user.password_hash, user.role, user.active = hash_password(PASSWORD), "client", True
        session.commit()
        browser = Browser(app, world.acme.user)
        assert browser.get("/").status_code == 200
        user = _refresh(world.acme.user.id)
        if change == "password":
            user.password_hash = hash_password("another-password-1")
        elif change == "role":
            user.role = "admin"
        else:
            user.active = False
        session.commit()
        assert browser.get("/").status_code == 302, change


def test_a_session_lasts_its_lifetime_and_no_longer(app, world, session):
    browser = Browser(app, world.acme.user)
    session.execute(sa.update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert browser.get("/").status_code == 302
    assert app.config["SESSION_LIFETIME_SECONDS"] == 12 * 3600


def test_parallel_wrong_passwords_lock_the_account_after_its_limit(app, world):
    email, user_id = world.acme.user.email, world.acme.user.id
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses: list[int] = []

    def guess():
        with app.app_context():
            statuses.append(_login(app, email, "wrong-password-x").status_code)
            db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses).count(401) == limit and statuses.count(429) == 12 - limit
    assert _refresh(user_id).locked_until is not None


def test_a_known_and_an_unknown_email_take_the_same_work(app, world):
    def timed(email):
        started = time.perf_counter()
        _login(app, email, "wrong-password-x")
        return time.perf_counter() - started

    timed("nobody@nowhere.test")                                    # the stand-in hash is made once
    known = min(timed(world.globex.user.email) for _ in range(3))
    unknown = min(timed(f"nobody{i}@nowhere.test") for i in range(3))
    assert unknown > known / 3, (known, unknown)                    # both pay a password check


def test_an_api_token_can_expire(client, world, session):
    body = client.post("/api/v1/tokens", json={"name": "short", "expires_in_days": 1},
                       headers=world.acme.headers).get_json()
    assert body["expires_at"] is not None
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/batches", headers=headers).status_code == 200
    session.execute(sa.text("UPDATE api_token SET expires_at = :t WHERE id = :id"),
                    {"t": utcnow() - timedelta(seconds=1), "id": body["id"]})
    session.commit()
    assert client.get("/api/v1/batches", headers=headers).status_code == 401
