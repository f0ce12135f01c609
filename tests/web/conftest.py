"""Signing in through the real login form, and reading the CSRF token a page carries."""

from __future__ import annotations

import re

import pytest
from flask import g

from tests.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_batch

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


# ---------------------------------------------------------------- a real browser on a real server

from tests.contract.conftest import live_server  # noqa: E402,F401  (gunicorn on 127.0.0.1, the suite's DB)

SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, driven by Playwright (no browser download, ever)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """A fresh browser context per person (own cookies), pages opened on the live server."""
    contexts = []

    def open_(path: str = "/login", *, width: int = 1280, height: int = 800):
        context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def focus_lands(page, selector: str) -> None:
    """Autofocus lands after the page loads: keys typed before it are lost on a busy machine,
    so wait for it (which also checks that the right field has focus)."""
    page.wait_for_selector(f"{selector}:focus")


def sign_in(page, user) -> None:
    """With the keyboard: the email field has focus on the sign-in page."""
    page.goto("/login")
    focus_lands(page, "input[name=email]")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)


# ---------------------------------------------------------------- resale stock, sales and certificates

def stock_units(session, world, count: int = 2, *, grade: str = "B", listed: bool = True) -> list:
    """Acme laptops cleared through the real bench API and (if `listed`) put in stock: [InventoryItem or Device]."""
    from itad.inventory import stock
    from tests.inventory.conftest import clear
    from tests.workflow_db.conftest import Bench, devices_of

    batch = make_batch(session, world.acme.org, reference="ACME-RESALE-W", devices=count)
    session.commit()
    bench = Bench(_api_client(), world)
    for device in devices_of(session, batch):
        clear(bench, world, device, grade=grade)
    session.expire_all()
    devices = devices_of(session, batch)
    if not listed:
        return devices
    items = [stock.list_device(session, world.admin.user, d, location=f"A-0{n}") for n, d in enumerate(devices, 1)]
    session.commit()
    return items


def _api_client():
    from flask import current_app

    return current_app.test_client()


def sold_batch(session, party, reference: str, prices: tuple = (("199.99", "20.00"), ("250.00", "25.01"))):
    """A batch of `party`'s with units sold (rows as past sales: the figures are what is under test)."""
    from datetime import date

    from tests.inventory.conftest import past_sale

    batch = make_batch(session, party.org, reference=reference)
    sales = [past_sale(session, party.org, batch=batch, price=p, fee=f, sold_on=date(2025, 7, 1)) for p, f in prices]
    session.commit()
    return batch, sales


def agree_share(session, world, party, percent: str = "60.00"):
    from decimal import Decimal

    from itad.inventory import settlement

    settlement.set_terms(session, world.admin.user, party.org.id, Decimal(percent))
    session.commit()
