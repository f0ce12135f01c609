"""A certificate PDF, checked from outside our code (pdfsig) and by verify_pdf."""

import subprocess

import pytest
from pypdf import PdfReader
import io

from certificates import issue_pdf, verify_pdf
from certificates.specimen import specimen_batch


def pdfsig(tmp_path, pdf: bytes) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return run.stdout + run.stderr


def test_pdfsig_finds_a_valid_signature_covering_the_whole_document(tmp_path, signed_batch):
    out = pdfsig(tmp_path, signed_batch)
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    # Self-signed operator certificate: pdfsig cannot chain it, and says so.
    assert "Certificate Validation:" in out


def test_pdfsig_reports_an_altered_certificate_as_invalid(tmp_path, signed_batch):
    tampered = bytearray(signed_batch)
    tampered[len(tampered) // 3] ^= 0x01
    out = pdfsig(tmp_path, bytes(tampered))
    assert "Signature is Valid." not in out


def test_signed_certificate_verifies_with_its_number_and_signer(signed_batch, identity_a, batch_data):
    result = verify_pdf(signed_batch, [identity_a[1]])
    assert result.valid and result.intact and result.covers_whole_document
    assert result.certificate_number == batch_data.number
    assert "ITAD Signing A" in result.signer_subject
    assert len(result.signer_cert_sha256) == 64
    assert result.signed_at is not None
    assert result.reason is None


@pytest.mark.parametrize("where", ["signed content", "middle", "near the end"])
def test_one_flipped_byte_makes_the_certificate_altered(signed_batch, identity_a, where):
    contents = signed_batch.index(b"/Contents <")
    position = {"signed content": 200, "middle": len(signed_batch) // 2,
                "near the end": len(signed_batch) - 100}[where]
    assert not contents <= position < contents + 20000 or where != "signed content"
    tampered = bytearray(signed_batch)
    tampered[position] ^= 0x01
    result = verify_pdf(bytes(tampered), [identity_a[1]])
    assert not result.valid
    assert not result.intact
    assert result.reason.startswith("altered")


def test_a_byte_flipped_in_the_signature_padding_is_caught(signed_batch, identity_a):
    # The end of /Contents is zero padding the digest does not cover.
    start = signed_batch.index(b"/Contents <") + len(b"/Contents <")
    end = signed_batch.index(b">", start)
    tampered = bytearray(signed_batch)
    tampered[end - 10] = ord("1") if tampered[end - 10] == ord("0") else ord("0")
    result = verify_pdf(bytes(tampered), [identity_a[1]])
    assert not result.valid and result.reason.startswith("altered")


def test_content_appended_after_signing_is_not_valid(signed_batch, identity_a):
    result = verify_pdf(signed_batch + b"\n% appended\n", [identity_a[1]])
    assert not result.valid
    assert not result.covers_whole_document


def test_after_key_rotation_old_and_new_certificates_both_verify(signed_batch, identity_a, identity_b, passphrase):
    key_b, cert_b = identity_b
    newer = issue_pdf(specimen_batch(3, number="COS-2025-000124"), key_b, cert_b, passphrase)
    trusted = [identity_a[1], cert_b]
    assert verify_pdf(signed_batch, trusted).valid
    assert verify_pdf(newer, trusted).valid


def test_a_signer_outside_the_trusted_list_is_not_valid(signed_batch, identity_b):
    result = verify_pdf(signed_batch, [identity_b[1]])
    assert result.intact
    assert not result.valid
    assert "not one of the trusted" in result.reason


def test_an_unsigned_pdf_is_not_valid(batch_data, identity_a):
    from certificates import render_pdf

    result = verify_pdf(render_pdf(specimen_batch(2)), [identity_a[1]])
    assert not result.valid and result.reason == "the PDF carries no signature"


def test_batch_pages_say_page_x_of_y_across_cover_and_media_sheets(signed_batch):
    reader = PdfReader(io.BytesIO(signed_batch))
    total = len(reader.pages)
    assert total >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert f"Page {number} of {total}" in page.extract_text()
