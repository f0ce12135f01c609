"""The admin pages are for admins: technicians and clients get the 403 page on every one of them (and
every form post changes nothing); the settlement is for clients and admins, never technicians."""

from __future__ import annotations

import pytest

from itad.models import Certificate, InventoryItem, SigningKey
from tests.web.conftest import stock_units

ADMIN_PAGES = ("/admin/certificates", "/admin/certificates/1", "/admin/signing-keys", "/admin/signing-keys/1.pem",
               "/admin/inventory", "/admin/inventory/1", "/admin/inventory/export.csv",
               "/admin/inventory/listing.csv")
ADMIN_POSTS = ("/admin/batches/1/certificates", "/admin/certificates/1/reissue", "/admin/certificates/1/revoke",
               "/admin/signing-keys", "/admin/inventory/1/reserve", "/admin/inventory/1/release",
               "/admin/inventory/1/sell", "/admin/devices/1/list", "/admin/organizations/1/settlement-terms")


@pytest.mark.parametrize("who", ["tech", "acme"])
def test_technicians_and_clients_get_403_on_every_admin_page_and_form(session, world, as_user, who):
    items = stock_units(session, world, 1)
    browser = as_user(getattr(world, who).user)
    for path in ADMIN_PAGES:
        r = browser.get(path.replace("/1", f"/{items[0].id}"))
        assert r.status_code == 403, path
        assert b"needs the role admin" in r.data
    for path in ADMIN_POSTS:
        r = browser.post(path.replace("/1", f"/{items[0].id}"),
                         {"reason": "x", "price": "10.00", "currency": "EUR", "buyer_reference": "b",
                          "sold_on": "2026-01-02", "common_name": "x", "organization": "y", "days": "10",
                          "key_type": "ec", "client_share_percent": "90"})
        assert r.status_code == 403, path
    session.expire_all()
    assert session.get(InventoryItem, items[0].id).status == "available"
    assert session.query(SigningKey).count() == 0 and session.query(Certificate).count() == 0


def test_technicians_do_not_see_the_settlement(session, world, as_user):
    tech = as_user(world.tech.user)
    assert tech.get("/settlement").status_code == 403
    assert tech.get("/batches/1/settlement.csv").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/admin/certificates", "/admin/inventory", "/admin/signing-keys", "/settlement"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_the_new_admin_links_are_shown_to_admins_only(world, as_user):
    admin_nav, client_nav = as_user(world.admin.user).text("/"), as_user(world.acme.user).text("/")
    for link in ("/admin/certificates", "/admin/signing-keys", "/admin/inventory"):
        assert link in admin_nav and link not in client_nav
    assert "/settlement" in client_nav and "/settlement" in admin_nav
