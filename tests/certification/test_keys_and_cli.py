"""Signing keys: encrypted at rest, never shown or logged; the keys and certificates commands;
the first page of a batch certificate drawn to PNG for a person to look at."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from itad.certification import issuing
from itad.models import Certificate, SigningKey
from tests.conftest import ARTIFACTS



def test_the_private_key_is_encrypted_at_rest(signing_key, session):
    stored = session.scalar(sa.select(SigningKey.key_encrypted))
    assert b"ENCRYPTED PRIVATE KEY" in stored
    with pytest.raises(TypeError):  # needs a password: not a plain PEM key
        serialization.load_pem_private_key(stored, password=None)
    serialization.load_pem_private_key(stored, password=b"test-passphrase")  # and the passphrase opens it


def test_the_private_key_never_appears_in_a_response_or_a_log(caplog, session, world, bench, client, app):
    from tests.certification.conftest import close_a_batch
    caplog.set_level(logging.DEBUG)
    runner = app.test_cli_runner()
    outputs = [runner.invoke(args=["keys", "init"]).output, runner.invoke(args=["keys", "list"]).output]
    closed = close_a_batch(session, world, bench)
    stored = session.scalar(sa.select(SigningKey.key_encrypted))
    plain = serialization.load_pem_private_key(stored, password=b"test-passphrase")
    secrets = [
        stored, stored.split(b"\n")[1],
        plain.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        plain.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        b"test-passphrase",
    ]
    secrets.append(base64.b64encode(secrets[3])[:40])
    cid = closed.certificate.id
    responses = [client.get("/api/v1/signing-keys").data, client.get(f"/verify/{closed.certificate.number}").data,
                 client.get(f"/api/v1/certificates/{cid}", headers=world.admin.headers).data,
                 client.get(f"/api/v1/certificates/{cid}/json", headers=world.admin.headers).data,
                 client.get(f"/api/v1/certificates/{cid}/pdf", headers=world.admin.headers).data,
                 client.get("/api/v1/openapi.json").data]
    responses += [o.encode() for o in outputs]
    for blob in responses + [caplog.text.encode()]:
        assert b"PRIVATE KEY" not in blob
        for secret in secrets:
            assert secret not in blob


def _pkcs12(tmp_path) -> Path:
    """An operator identity as a CA would hand it over: key + certificate in a PKCS#12 file."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Issuing CA")])
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "GreenCycle ITAD")]))
            .issuer_name(ca).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
            .sign(ca_key, hashes.SHA256()))
    path = tmp_path / "operator.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"op", key, cert, None, serialization.BestAvailableEncryption(b"p12-password")))
    return path


def test_keys_commands_init_list_rotate_and_import(app, session, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "init"]).exit_code == 0
    again = runner.invoke(args=["keys", "init"])
    assert again.exit_code != 0 and "rotate" in again.output
    assert runner.invoke(args=["keys", "rotate", "--common-name", "Second"]).exit_code == 0
    imported = runner.invoke(args=["keys", "import", str(_pkcs12(tmp_path)), "--password", "p12-password"])
    assert imported.exit_code == 0, imported.output
    listing = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert [line.split("\t")[1].split()[0] for line in listing] == ["retired", "retired", "active"]
    assert "imported" in listing[2] and "GreenCycle ITAD" in listing[2]
    wrong = runner.invoke(args=["keys", "import", str(_pkcs12(tmp_path)), "--password", "nope"])
    assert wrong.exit_code != 0 and "password" in wrong.output


def test_certificates_commands_issue_with_a_bar_and_verify(app, closed, session, tmp_path):
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["certificates", "issue", "--batch", str(closed.batch.id), "--reason", "re-run"])
    assert issued.exit_code == 0, issued.output
    assert "Issuing COS-" in issued.output and "supersedes" in issued.output
    session.expire_all()
    new = session.scalars(sa.select(Certificate).where(Certificate.status == "issued")).one()
    path = tmp_path / "new.pdf"
    path.write_bytes(issuing.read_pdf(new))
    ok = runner.invoke(args=["certificates", "verify", str(path)])
    assert ok.exit_code == 0 and "GENUINE" in ok.output and new.number in ok.output
    old = tmp_path / "old.pdf"
    old.write_bytes(issuing.read_pdf(closed.certificate))
    assert "superseded" in runner.invoke(args=["certificates", "verify", str(old)]).output
    tampered = bytearray(path.read_bytes())
    tampered[len(tampered) // 3] ^= 0x20
    path.write_bytes(bytes(tampered))
    assert runner.invoke(args=["certificates", "verify", str(path)]).exit_code == 1


def test_first_page_of_a_batch_certificate_is_drawn_to_png(closed, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / "batch.pdf"
    pdf.write_bytes(issuing.read_pdf(closed.certificate))
    target = ARTIFACTS / "batch-certificate-page1"
    subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
                   check=True, timeout=60)
    png = target.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
