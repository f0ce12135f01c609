"""Signing in through the real login form, and reading the CSRF token a page carries."""

from __future__ import annotations

import re

import pytest
from flask import g

from tests.factories import PASSWORD

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Browser:
    """A Flask test client signed in as one user, posting forms with their CSRF token."""

    def __init__(self, app, user=None):
        self.http = _FreshUserClient(app.test_client())
        self.token = None
        if user is not None:
            self.token = CSRF.search(self.http.get("/login").get_data(as_text=True)).group(1)
            r = self.http.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": self.token})
            assert r.status_code == 302, r.get_data(as_text=True)
            # The token is bound to the session; sign-in renews the session, so read it again.
            self.token = self._fresh_token()

    def _fresh_token(self) -> str:
        page = self.http.get("/", follow_redirects=True).get_data(as_text=True)
        return CSRF.search(page).group(1)

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, data=None, **kw):
        return self.http.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)

    def text(self, path) -> str:
        r = self.get(path)
        return r.get_data(as_text=True)


class _FreshUserClient:
    """The tests run inside one app context, which Flask reuses for every test request, so `g`
    (where Flask-Login caches the signed-in user and Flask-WTF the CSRF token) would carry one user into the next browser's
    request. Forget it before each request, as a real server does between requests."""

    def __init__(self, client):
        self.client = client

    def _forget(self):
        g.pop("_login_user", None)
        g.pop("csrf_token", None)  # Flask-WTF caches the session's token there too

    def get(self, *a, **kw):
        self._forget()
        return self.client.get(*a, **kw)

    def post(self, *a, **kw):
        self._forget()
        return self.client.post(*a, **kw)


@pytest.fixture
def as_user(app):
    return lambda user: Browser(app, user)
