"""Download is for the owning client and the operator only; the public verify says genuine,
altered, or what happened to a certificate; rotation keeps old certificates verifying."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import current_app

from itad.certification import issuing, keys
from itad.models import Certificate


def upload(client, pdf: bytes):
    return client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "certificate.pdf")},
                       content_type="multipart/form-data")


def test_the_owner_and_the_operator_download_and_another_client_gets_404(closed, client, world):
    cid = closed.certificate.id
    for party in (world.acme, world.admin, world.tech):
        meta = client.get(f"/api/v1/certificates/{cid}", headers=party.headers)
        assert meta.status_code == 200 and meta.get_json()["number"] == closed.certificate.number
        pdf = client.get(f"/api/v1/certificates/{cid}/pdf", headers=party.headers)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        doc = client.get(f"/api/v1/certificates/{cid}/json", headers=party.headers)
        assert doc.status_code == 200 and doc.get_json()["number"] == closed.certificate.number
        listing = client.get(f"/api/v1/batches/{closed.batch.id}/certificates", headers=party.headers)
        assert [c["id"] for c in listing.get_json()["items"]] == [cid]
    for url in (f"/api/v1/certificates/{cid}", f"/api/v1/certificates/{cid}/pdf",
                f"/api/v1/certificates/{cid}/json", f"/api/v1/batches/{closed.batch.id}/certificates"):
        response = client.get(url, headers=world.globex.headers)
        assert response.status_code == 404
        assert closed.certificate.number.encode() not in response.data
    assert client.get(f"/api/v1/certificates/{cid}/pdf").status_code == 401


def test_an_uploaded_certificate_is_recognised_as_genuine_and_named(closed, client):
    body = upload(client, issuing.read_pdf(closed.certificate)).get_json()
    assert body["genuine"] is True and body["verdict"] == "genuine"
    assert body["certificate"]["number"] == closed.certificate.number
    assert body["certificate"]["status"] == "issued"
    assert body["document_sha256"] == closed.certificate.sha256


def test_flipping_one_byte_makes_verify_say_altered(closed, client):
    pdf = bytearray(issuing.read_pdf(closed.certificate))
    # A byte inside the page content, well before the signature dictionary.
    at = pdf.index(b"stream", len(pdf) // 4) + 40
    pdf[at] ^= 0x01
    body = upload(client, bytes(pdf)).get_json()
    assert body["genuine"] is False and body["verdict"] == "altered"
    assert body["document_sha256"] != closed.certificate.sha256


def test_the_public_page_checks_an_upload_with_the_csrf_token(app, closed):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on, as in production
    browser = app.test_client()
    page = browser.get("/verify").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    pdf = issuing.read_pdf(closed.certificate)
    refused = browser.post("/verify", data={"file": (io.BytesIO(pdf), "c.pdf")}, content_type="multipart/form-data")
    assert refused.status_code == 400
    ok = browser.post("/verify", data={"file": (io.BytesIO(pdf), "c.pdf"), "csrf_token": token},
                      content_type="multipart/form-data")
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "Genuine" in text and closed.certificate.number in text


def test_an_unknown_number_is_404_on_page_and_api(client, session):
    assert client.get("/verify/COS-1999-000001").status_code == 404
    assert client.get("/api/v1/verify/COS-1999-000001").status_code == 404


def test_a_certificate_signed_before_rotation_still_verifies_after(closed, client, session, bench, world, tmp_path):
    old_key_id = closed.certificate.signing_key_id
    keys.rotate_key(session, current_app.config, common_name="GreenCycle signing 2", organization="GreenCycle")
    session.commit()
    status, body = bench.post(world.admin, f"/batches/{closed.batch.id}/certificates", {"reason": "after rotation"})
    assert status == 202
    session.expire_all()
    new = session.scalars(sa.select(Certificate).where(Certificate.number == body["number"])).one()
    assert new.signing_key_id != old_key_id
    old_check = upload(client, issuing.read_pdf(closed.certificate)).get_json()
    assert old_check["genuine"] is True and old_check["certificate"]["status"] == "superseded"
    assert upload(client, issuing.read_pdf(new)).get_json()["genuine"] is True
    published = client.get("/api/v1/signing-keys").get_json()["items"]
    assert [k["active"] for k in published] == [False, True]
    assert all(k["cert_pem"].startswith("-----BEGIN CERTIFICATE-----") for k in published)


def test_a_pdf_signed_by_someone_else_is_not_ours(closed, client):
    import certificates
    from certificates.specimen import specimen_batch

    key_pem, cert_pem = certificates.generate_signing_identity("Forger", "Forger Ltd", passphrase=b"x")
    forged = certificates.issue_pdf(specimen_batch(2, number=closed.certificate.number), key_pem, cert_pem, b"x")
    body = upload(client, forged).get_json()
    assert body["genuine"] is False and body["verdict"] == "untrusted_signer"
    assert body["claimed_number"] == closed.certificate.number


def test_the_verify_page_looks_a_number_up_and_prints_dates_for_people(app, closed):
    browser = app.test_client()
    number = closed.certificate.number
    r = browser.get(f"/verify?number=%20{number.lower()}%20")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/verify/{number}")
    page = browser.get(f"/verify/{number}").get_data(as_text=True)
    issued = closed.certificate.issued_at
    assert f"{issued.day} {issued:%b %Y, %H:%M} UTC" in page and issued.isoformat() not in page
    assert 'name="number"' in page


def test_an_altered_upload_is_never_shown_beside_a_green_in_force_box(app, closed):
    browser = app.test_client()
    token = browser.get("/verify").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    pdf = bytearray(issuing.read_pdf(closed.certificate))
    at = pdf.index(b"stream", len(pdf) // 4) + 40
    pdf[at] ^= 0x01
    text = browser.post("/verify", data={"file": (io.BytesIO(bytes(pdf)), "c.pdf"), "csrf_token": token},
                        content_type="multipart/form-data").get_data(as_text=True)
    # The file still names itself, so the register's entry is shown, for reference only.
    assert "Altered" in text and f"What our register holds for No. {closed.certificate.number}" in text
    assert "is <strong>not</strong> this certificate" in text and 'class="verdict ok"' not in text
