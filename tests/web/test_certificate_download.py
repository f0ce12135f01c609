"""The client downloads its batch certificate from the portal; another client gets the 404 page."""

from __future__ import annotations

import hashlib

import pytest
from flask import current_app

from itad.certification import keys
from tests.certification.conftest import close_a_batch
from tests.web.conftest import shoot, sign_in
from tests.workflow_db.conftest import Bench


def _closed(session, client, world):
    keys.init_key(session, current_app.config, common_name="Test signing", organization="Test ITAD")
    session.commit()
    return close_a_batch(session, world, Bench(client, world))


def test_the_client_sees_and_downloads_its_signed_certificate(session, client, world, as_user):
    closed = _closed(session, client, world)
    page = as_user(world.acme.user).text(f"/batches/{closed.batch.id}")
    assert closed.certificate.number in page and "Download PDF" in page

    pdf = as_user(world.acme.user).get(f"/certificates/{closed.certificate.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == closed.certificate.sha256


def test_another_client_gets_the_404_page_for_the_certificate(session, client, world, as_user):
    closed = _closed(session, client, world)
    r = as_user(world.globex.user).get(f"/certificates/{closed.certificate.id}.pdf")
    assert r.status_code == 404 and b"%PDF" not in r.data


@pytest.mark.browser
def test_in_the_browser_the_client_downloads_the_certificate_from_the_batch_page(session, client, world, open_page,
                                                                                  tmp_path):
    closed = _closed(session, client, world)
    page = open_page()
    sign_in(page, world.acme.user)
    page.goto(f"/batches/{closed.batch.id}")
    shoot(page, "portal-batch-certificate")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").first.click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{closed.certificate.number}.pdf"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == closed.certificate.sha256
