"""Admin signing keys page: identity, fingerprint, validity, state; create then rotate; a clear message
instead of the form when no passphrase is configured; never any private key material."""

from __future__ import annotations

from itad.certification import keys
from itad.models import SigningKey


def _create(admin, follow_redirects=False, **fields):
    return admin.post("/admin/signing-keys", {"common_name": "Test ITAD certificate signing",
                                              "organization": "Test ITAD", "days": "365", "key_type": "ec",
                                              **fields}, follow_redirects=follow_redirects)


def test_an_admin_creates_the_key_then_rotates_and_the_old_one_stays_retired(session, world, as_user):
    admin = as_user(world.admin.user)
    assert "Create the signing key" in admin.text("/admin/signing-keys")
    assert _create(admin).status_code == 302
    [first] = keys.all_keys(session)
    page = admin.text("/admin/signing-keys")
    assert first.fingerprint in page and "CN=Test ITAD certificate signing" in page and "Rotate the signing key" in page
    _create(admin, common_name="Test ITAD 2026")
    session.expire_all()
    old, new = keys.all_keys(session)
    assert (old.active, new.active) == (False, True) and old.retired_at is not None
    page = admin.text("/admin/signing-keys")
    assert "retired" in page and new.fingerprint in page and old.fingerprint in page


def test_no_page_shows_private_key_material(session, world, as_user):
    admin = as_user(world.admin.user)
    _create(admin)
    key = session.query(SigningKey).one()
    page = admin.text("/admin/signing-keys")
    pem = admin.get(f"/admin/signing-keys/{key.id}.pem").get_data(as_text=True)
    for text in (page, pem):
        assert "PRIVATE KEY" not in text and key.key_encrypted.decode(errors="ignore")[40:120] not in text
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


def test_without_a_passphrase_the_page_says_so_and_creates_nothing(session, world, as_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNING_KEY_PASSPHRASE", None)
    admin = as_user(world.admin.user)
    page = admin.text("/admin/signing-keys")
    assert "SIGNING_KEY_PASSPHRASE is not set" in page and "Create the signing key</button>" not in page
    r = _create(admin, follow_redirects=True)
    assert "the signing key cannot be stored or used without it" in r.get_data(as_text=True)
    assert session.query(SigningKey).count() == 0


def test_a_bad_key_form_is_refused_with_the_fields_named(session, world, as_user):
    r = _create(as_user(world.admin.user), days="0", common_name="")
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "Valid for (days)" in text and "Common name" in text
    assert session.query(SigningKey).count() == 0
