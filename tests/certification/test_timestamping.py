"""With a time-stamp authority configured (TSA_URL), certificates are signed PAdES B-LT: the signature carries the
authority's RFC 3161 token and the document the validation data of both chains, so a reader validates it years
later, after the operator's key is rotated; checkpoints carry a token too. A real TSA runs on 127.0.0.1
(certomancer), and the checks come from outside our code: pdfsig, openssl, and pyHanko's validator."""

from __future__ import annotations

import base64
import subprocess

import pytest
from flask import current_app

from itad.certification import issuing, keys
from itad.steps import checkpoints
from tests.certification import tsa
from tests.certification.conftest import close_a_batch


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    running = tsa.start(tmp_path_factory.mktemp("tsa"))
    yield running
    tsa.stop(running)


@pytest.fixture
def stamped(authority, app):
    app.config.update(TSA_URL=authority.url, TSA_TRUST_PEM=str(authority.root_pem))
    yield authority
    app.config.update(TSA_URL=None, TSA_TRUST_PEM=None)


def _validate(pdf: bytes, trust: list[bytes]):
    import io

    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf))
    roots = [c for pem in trust for c in load_certs_from_pemder_data(pem)]
    # No fetching: what validates must be in the file itself (the B-LT validation data).
    status = validate_pdf_signature(reader.embedded_signatures[0],
                                    ValidationContext(trust_roots=roots, allow_fetching=False))
    return reader, status


def test_a_certificate_is_time_stamped_with_its_validation_data_embedded(stamped, session, world, bench,
                                                                       signing_key, tmp_path):
    closed = close_a_batch(session, world, bench)
    pdf = issuing.read_pdf(closed.certificate)
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature is Valid" in out
    subprocess.run(["pdfsig", "-dump", str(path)], cwd=tmp_path, capture_output=True, timeout=60)
    cms = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "c.pdf.sig0")],
                         capture_output=True, text=True, timeout=60).stdout
    assert "id-smime-aa-timeStampToken" in cms                      # the authority's token, read by openssl

    reader, status = _validate(pdf, [signing_key.cert_pem.encode(), stamped.root_pem.read_bytes()])
    assert status.intact and status.valid and status.timestamp_validity.valid
    assert status.timestamp_validity.timestamp is not None
    dss = reader.root["/DSS"]
    assert "/Certs" in dss and ("/CRLs" in dss or "/OCSPs" in dss)  # the TSA chain's revocation data, inside


def test_a_time_stamped_certificate_still_validates_after_the_key_is_rotated(stamped, session, world, bench,
                                                                           signing_key):
    closed = close_a_batch(session, world, bench)
    keys.rotate_key(session, current_app.config, common_name="Next key", organization="GreenCycle ITAD Ltd")
    session.commit()
    _, status = _validate(issuing.read_pdf(closed.certificate),
                          [signing_key.cert_pem.encode(), stamped.root_pem.read_bytes()])
    assert status.intact and status.valid and status.timestamp_validity.valid


def test_a_checkpoint_carries_a_token_openssl_verifies_against_the_signature(stamped, session, world, bench,
                                                                           signing_key, batch_with_events,
                                                                           tmp_path):
    made = checkpoints.make(session)
    session.commit()
    assert made.timestamp_token
    (tmp_path / "token.der").write_bytes(made.timestamp_token)
    (tmp_path / "signature").write_bytes(made.signature)
    done = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.der"),
                           "-data", str(tmp_path / "signature"), "-CAfile", str(stamped.root_pem)],
                          capture_output=True, text=True, timeout=60)
    assert "Verification: OK" in done.stdout, done.stdout + done.stderr
    doc = checkpoints.document(session, made.id)
    assert base64.b64decode(doc["timestamp_token"]) == made.timestamp_token


def test_without_a_tsa_nothing_changes(session, world, bench, signing_key, app, tmp_path):
    assert not app.config.get("TSA_URL")
    closed = close_a_batch(session, world, bench)
    path = tmp_path / "c.pdf"
    path.write_bytes(issuing.read_pdf(closed.certificate))
    assert "Total document signed" in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.fixture
def batch_with_events(session, world, bench):
    from tests.factories import make_batch
    from tests.workflow_db.conftest import devices_of

    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    bench.post(world.tech, "/receive", {"serial": devices_of(session, batch)[0].serial})
    return batch
