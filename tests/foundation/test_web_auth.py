"""Web sign-in: sessions with CSRF-protected forms, and lockout after repeated failures."""

import re

from tests.factories import PASSWORD


def _csrf(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _csrf(client)})


def test_sign_in_with_the_right_password_opens_the_batch_list(client, world):
    r = _login(client, world.acme.user.email, PASSWORD)
    assert r.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and b"Batches" in page.data


def test_wrong_password_is_refused(client, world):
    r = _login(client, world.acme.user.email, "wrong-password")
    assert r.status_code == 401 and b"wrong" in r.data


def test_a_form_without_csrf_token_is_refused(client, world):
    r = client.post("/login", data={"email": world.acme.user.email, "password": PASSWORD})
    assert r.status_code == 400


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, world, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, world.acme.user.email, "wrong-password")
    r = _login(client, world.acme.user.email, PASSWORD)
    assert r.status_code == 429


def test_pages_need_a_session(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_security_headers_are_set(client):
    r = client.get("/login")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
