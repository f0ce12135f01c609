"""Failed sign-ins from one address are limited across accounts, in the database (so every
gunicorn worker sees the same count)."""

from __future__ import annotations

from datetime import timedelta

from itad.models import utcnow
from itad.accounts import sign_in_limit
from tests.web.conftest import CSRF


def _attempt(client, email, password):
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_an_address_that_fails_too_often_must_wait_whichever_account_it_tries(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    for n in range(3):
        assert _attempt(client, f"nobody{n}@example.test", "wrong").status_code == 401
    # The right password of a real account is refused too: the address is blocked, not the account.
    from tests.factories import PASSWORD

    r = _attempt(client, world.acme.user.email, PASSWORD)
    assert r.status_code == 429 and b"network address" in r.data


def test_failures_older_than_the_window_no_longer_count(session):
    now = utcnow()
    for _ in range(3):
        sign_in_limit.record_failure(session, "192.0.2.7", now - timedelta(hours=2), window_seconds=900)
    assert not sign_in_limit.address_blocked(session, "192.0.2.7", now, max_failures=3, window_seconds=900)
    assert sign_in_limit.address_blocked(session, "192.0.2.7", now - timedelta(hours=2), max_failures=3,
                                         window_seconds=900)


def test_recording_a_failure_prunes_the_addresses_old_rows(session):
    from itad.models import FailedSignIn
    import sqlalchemy as sa

    now = utcnow()
    sign_in_limit.record_failure(session, "192.0.2.8", now - timedelta(hours=2), window_seconds=900)
    sign_in_limit.record_failure(session, "192.0.2.8", now, window_seconds=900)
    assert session.scalar(sa.select(sa.func.count()).select_from(FailedSignIn)) == 1
