"""Admin certificate pages: the register and its filters, issuing the certificate a closed batch lacks,
re-issuing (supersedes), revoking with a reason (its units leave stock), and every refusal as a message."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import current_app

from itad.certification import keys
from itad.models import Certificate, InventoryItem
from itad.inventory import stock
from tests.certification.conftest import close_a_batch
from tests.workflow_db.conftest import Bench


@pytest.fixture
def closed_without_key(session, client, world):
    """Acme's batch closed before any signing key existed: it has no certificate."""
    closed = close_a_batch(session, world, Bench(client, world))
    assert closed.certificate is None
    return closed


def _key(session):
    key = keys.init_key(session, current_app.config, common_name="Test signing", organization="Test ITAD")
    session.commit()
    return key


def _certs(session, batch_id):
    session.expire_all()
    return session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch_id).order_by(Certificate.id)).all()


def test_a_closed_batch_without_certificate_is_listed_and_issuing_it_needs_a_key(session, world, as_user,
                                                                                closed_without_key):
    admin = as_user(world.admin.user)
    page = admin.text("/admin/certificates")
    assert "ACME-PO-2026-17" in page and "never issued (closed without a signing key)" in page
    assert "no active signing key" in page
    refused = admin.post(f"/admin/batches/{closed_without_key.batch.id}/certificates", follow_redirects=True)
    assert "No signing key" in refused.get_data(as_text=True) and _certs(session, closed_without_key.batch.id) == []


def test_an_admin_issues_the_missing_certificate_then_reissues_it(session, world, as_user, closed_without_key):
    _key(session)
    batch_id = closed_without_key.batch.id
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/batches/{batch_id}/certificates", {"reason": "closed before the key existed"})
    [first] = _certs(session, batch_id)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/certificates/{first.id}")
    assert first.status == "issued" and "Every closed batch has a certificate" in admin.text("/admin/certificates")

    r = admin.post(f"/admin/certificates/{first.id}/reissue", {"reason": "serial corrected"})
    first_again, second = _certs(session, batch_id)
    assert (first_again.status, first_again.superseded_by_id, second.supersedes_id) == ("superseded", second.id, first.id)
    page = admin.text(f"/admin/certificates/{first.id}")
    assert f"Superseded by" in page and second.number in page


def test_revoking_needs_a_reason_and_withdraws_the_units_from_stock(session, world, as_user, client, closed_without_key):
    _key(session)
    batch_id = closed_without_key.batch.id
    item = stock.list_device(session, world.admin.user, closed_without_key.cleared)
    session.commit()
    admin = as_user(world.admin.user)
    admin.post(f"/admin/batches/{batch_id}/certificates")
    [cert] = _certs(session, batch_id)

    empty = admin.post(f"/admin/certificates/{cert.id}/revoke", {"reason": "  "})
    assert empty.status_code == 400 and "Say why the certificate is revoked" in empty.get_data(as_text=True)
    assert _certs(session, batch_id)[0].status == "issued"

    asked = admin.post(f"/admin/certificates/{cert.id}/revoke", {"reason": "wrong batch scanned"}).get_data(as_text=True)
    assert "Revoke certificate" in asked and "1 unit(s) it covers that are cleared or in stock will be withdrawn" in asked
    assert _certs(session, batch_id)[0].status == "issued"
    page = admin.post(f"/admin/certificates/{cert.id}/revoke", {"reason": "wrong batch scanned", "confirmed": "1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "revoked" in page and "wrong batch scanned" in page
    [cert] = _certs(session, batch_id)
    assert cert.status == "revoked" and session.get(InventoryItem, item.id).status == "withdrawn"
    again = admin.post(f"/admin/certificates/{cert.id}/revoke", {"reason": "twice", "confirmed": "1"},
                       follow_redirects=True)
    assert "was revoked already" in again.get_data(as_text=True)
    # The batch lacks a certificate in force again: it is offered for issuing, saying why.
    assert "its certificate was revoked" in admin.text("/admin/certificates")
    # The client reads the revocation with its date and reason, on the batch and on each device.
    client_view = as_user(world.acme.user)
    when = cert.revoked_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"on {when}: wrong batch scanned" in client_view.text(f"/batches/{batch_id}")
    assert f"on {when}: wrong batch scanned" in client_view.text(f"/devices/{closed_without_key.cleared.id}")


def test_the_register_filters_by_client_batch_and_status(session, world, as_user, closed_without_key):
    _key(session)
    batch_id = closed_without_key.batch.id
    admin = as_user(world.admin.user)
    admin.post(f"/admin/batches/{batch_id}/certificates")
    [first] = _certs(session, batch_id)
    admin.post(f"/admin/certificates/{first.id}/reissue")
    _, second = _certs(session, batch_id)

    def numbers(query):
        register = admin.text(f"/admin/certificates?{query}").split('id="register-h"')[1]
        return set(re.findall(r"COS-\d{4}-\d{6}", register))

    assert numbers("status=superseded") == {first.number}
    assert numbers("status=issued") == {second.number}
    assert numbers(f"client={world.acme.org.id}") == {first.number, second.number}
    assert numbers(f"client={world.globex.org.id}") == set()
    assert numbers(f"batch={batch_id + 1}") == set()


def test_admin_downloads_the_pdf_and_json(session, world, as_user, closed_without_key):
    _key(session)
    admin = as_user(world.admin.user)
    admin.post(f"/admin/batches/{closed_without_key.batch.id}/certificates")
    [cert] = _certs(session, closed_without_key.batch.id)
    pdf, doc = admin.get(f"/certificates/{cert.id}.pdf"), admin.get(f"/certificates/{cert.id}.json")
    assert pdf.data.startswith(b"%PDF") and doc.get_json()["number"] == cert.number
    assert as_user(world.globex.user).get(f"/certificates/{cert.id}.json").status_code == 404


def test_a_form_without_its_csrf_token_revokes_nothing(session, world, as_user, closed_without_key):
    _key(session)
    admin = as_user(world.admin.user)
    admin.post(f"/admin/batches/{closed_without_key.batch.id}/certificates")
    [cert] = _certs(session, closed_without_key.batch.id)
    assert admin.http.post(f"/admin/certificates/{cert.id}/revoke", data={"reason": "x"}).status_code == 400
    assert _certs(session, closed_without_key.batch.id)[0].status == "issued"
