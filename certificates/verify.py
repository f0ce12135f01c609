"""Is this certificate PDF genuine and unaltered?

Trust is pinning, not a PKI: the signer's certificate must be one of the
operator's published certificates (old ones stay in the list after a key
rotation, so certificates signed before it still verify). Integrity is the
PAdES signature: the digest over the signed byte ranges, the signature over
that digest, the ranges covering the whole file, and nothing hidden in the
unsigned padding of /Contents.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from .signing import cert_fingerprint


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    intact: bool
    covers_whole_document: bool
    signer_subject: str | None
    signer_cert_sha256: str | None
    signed_at: datetime | None
    certificate_number: str | None
    document_sha256: str
    reason: str | None  # why not valid, for people; None when valid


def _der_length(blob: bytes) -> int:
    """Length of the DER element at the start of blob (header included)."""
    if len(blob) < 2 or blob[0] != 0x30:
        raise ValueError("not a DER sequence")
    first = blob[1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if n == 0 or n > 4 or len(blob) < 2 + n:
        raise ValueError("bad DER length")
    return 2 + n + int.from_bytes(blob[2:2 + n], "big")


def _padding_is_clean(contents: bytes) -> bool:
    """/Contents is the only part of the file the digest does not cover: the
    CMS blob must be followed by nothing but zero padding."""
    try:
        end = _der_length(contents)
    except ValueError:
        return False
    return end <= len(contents) and not contents[end:].strip(b"\x00")


def _altered(document_sha256: str, why: str) -> VerifyResult:
    return VerifyResult(False, False, False, None, None, None, None, document_sha256,
                        f"altered: {why}")


def verify_pdf(pdf: bytes, trusted_certs_pem: list[bytes]) -> VerifyResult:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    from certificates.signing import run_coroutine
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    def load_cert_from_pemder_data(blob: bytes):
        from pyhanko.keys import load_certs_from_pemder_data

        return next(iter(load_certs_from_pemder_data(blob)))

    doc_sha = hashlib.sha256(pdf).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any parse failure of a signed file is damage
        return _altered(doc_sha, f"the PDF cannot be read ({type(exc).__name__})")
    if not signatures:
        return VerifyResult(False, False, False, None, None, None, None, doc_sha,
                            "the PDF carries no signature")
    sig = signatures[-1]
    try:
        contents = sig.sig_object.raw_get("/Contents").original_bytes
        signer = sig.signer_cert
        # Trust is decided below by pinning; the trusted certificates are
        # given as roots only so pyHanko's path check has a path to find.
        roots = [load_cert_from_pemder_data(c) for c in trusted_certs_pem]
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = run_coroutine(lambda: async_validate_pdf_signature(sig, context, skip_diff=True))
    except Exception as exc:
        return _altered(doc_sha, f"the signature cannot be checked ({type(exc).__name__})")

    fingerprint = hashlib.sha256(signer.dump()).hexdigest()
    subject = signer.subject.human_friendly
    intact = bool(status.intact and status.valid and _padding_is_clean(contents))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    trusted = fingerprint in {cert_fingerprint(c) for c in trusted_certs_pem}
    signed_at = status.signer_reported_dt or sig.self_reported_timestamp
    number = None
    try:
        info = reader.trailer_view.get("/Info")
        info = info.get_object() if info is not None else None
        if info is not None and "/CertificateNumber" in info:
            number = str(info["/CertificateNumber"])
    except Exception:
        number = None

    if not intact:
        reason = "altered: the content no longer matches its signature"
    elif not whole:
        reason = "altered: content was added after signing (the signature does not cover the whole file)"
    elif not trusted:
        reason = "the signer's certificate is not one of the trusted certificates"
    else:
        reason = None
    return VerifyResult(
        valid=reason is None,
        intact=intact,
        covers_whole_document=whole,
        signer_subject=subject,
        signer_cert_sha256=fingerprint,
        signed_at=signed_at,
        certificate_number=number,
        document_sha256=doc_sha,
        reason=reason,
    )
