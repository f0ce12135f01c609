"""An admin deactivates, reactivates, re-roles and resets a user (API and page): the user's sessions and tokens stop
at once, each change is in the audit log, and an admin cannot do it to their own account."""

from __future__ import annotations

import re

import sqlalchemy as sa

from itad.models import AuditEvent, User, db
from tests.web.conftest import Browser


def _actions(session) -> list[str]:
    session.expire_all()
    return [e.action for e in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq))]


def test_deactivating_a_user_ends_their_session_and_token_and_is_audited(app, client, world, session):
    browser = Browser(app, world.acme.user)
    assert browser.get("/").status_code == 200
    r = client.patch(f"/api/v1/users/{world.acme.user.id}", json={"active": False}, headers=world.admin.headers)
    assert r.status_code == 200
    assert browser.get("/").status_code == 302
    assert client.get("/api/v1/batches", headers=world.acme.headers).status_code == 401
    assert "user_deactivated" in _actions(session)
    client.patch(f"/api/v1/users/{world.acme.user.id}", json={"active": True}, headers=world.admin.headers)
    assert client.get("/api/v1/batches", headers=world.acme.headers).status_code == 200


def test_a_role_change_ends_the_session_and_a_client_cannot_become_staff(app, client, world, session):
    browser = Browser(app, world.tech.user)
    assert browser.get("/bench").status_code == 200
    r = client.patch(f"/api/v1/users/{world.tech.user.id}", json={"role": "admin"}, headers=world.admin.headers)
    assert r.status_code == 200 and r.get_json()["role"] == "admin"
    assert browser.get("/bench").status_code == 302
    r = client.patch(f"/api/v1/users/{world.acme.user.id}", json={"role": "admin"}, headers=world.admin.headers)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "role_mismatch"
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user_role_changed")).one()
    assert (event.before, event.after) == ({"role": "technician"}, {"role": "admin"})


def test_an_admin_cannot_deactivate_or_demote_themselves(client, world):
    for change in ({"active": False}, {"role": "technician"}):
        r = client.patch(f"/api/v1/users/{world.admin.user.id}", json=change, headers=world.admin.headers)
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "own_account"


def test_a_password_reset_on_the_page_shows_the_new_password_once_and_it_signs_in(app, world, session):
    admin = Browser(app, world.admin.user)
    victim = Browser(app, world.globex.user)
    assert victim.get("/").status_code == 200
    asked = admin.post(f"/admin/users/{world.globex.user.id}/password-reset").get_data(as_text=True)
    assert "the old one stops working now" in asked and victim.get("/").status_code == 200   # nothing done yet
    page = admin.post(f"/admin/users/{world.globex.user.id}/password-reset", {"confirmed": "1"}).get_data(as_text=True)
    password = re.search(r'id="new-password">([^<]+)<', page).group(1)
    assert victim.get("/").status_code == 302                       # the old session ended
    db.session.expire_all()
    user = db.session.get(User, world.globex.user.id)
    from itad.auth.passwords import check_password

    assert check_password(user.password_hash, password)
    assert "user_password_reset" in _actions(session)
    assert password not in admin.get(f"/admin/users/{world.globex.user.id}").get_data(as_text=True)


def test_deactivating_and_re_roling_on_the_page_first_say_what_they_do(app, world, session):
    admin = Browser(app, world.admin.user)
    asked = admin.post(f"/admin/users/{world.tech.user.id}/active", {"active": "0"}).get_data(as_text=True)
    assert "is signed out everywhere at once and can no longer sign in" in asked
    db.session.expire_all()
    assert db.session.get(User, world.tech.user.id).active is True
    admin.post(f"/admin/users/{world.tech.user.id}/active", {"active": "0", "confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(User, world.tech.user.id).active is False

    asked = admin.post(f"/admin/users/{world.tech2.user.id}/role", {"role": "admin"}).get_data(as_text=True)
    assert f"Make {world.tech2.user.name} an admin?" in asked and "runs every admin page" in asked
    admin.post(f"/admin/users/{world.tech2.user.id}/role", {"role": "admin", "confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(User, world.tech2.user.id).role == "admin"
