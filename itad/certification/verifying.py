"""Public verification: by certificate number, and of an uploaded PDF.

What the public sees is what the printed certificate already shows to whoever holds it (number,
status, dates, SHA-256, the operator), never the client's name or batch: numbers are sequential, and
a lookup by number must not tell a stranger who our clients are.

An upload is genuine when its signature verifies against one of our published signing certificates
(retired ones included), covers the whole file, and the file's SHA-256 is one we issued.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

import certificates
from itad.certification import keys
from itad.models import Certificate


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def public_status(session: Session, cert: Certificate) -> dict:
    numbers = {}
    ids = [i for i in (cert.supersedes_id, cert.superseded_by_id) if i]
    if ids:
        numbers = dict(session.execute(sa.select(Certificate.id, Certificate.number).where(Certificate.id.in_(ids))).all())
    return {
        "number": cert.number,
        "kind": cert.kind,
        "status": cert.status,
        "issued_at": _iso(cert.issued_at),
        "sha256": cert.sha256,
        "supersedes": numbers.get(cert.supersedes_id),
        "superseded_by": numbers.get(cert.superseded_by_id),
        "revoked_at": _iso(cert.revoked_at),
        "revoked_reason": cert.revoked_reason,
        "devices": (cert.summary or {}).get("total"),
    }


def by_number(session: Session, number: str) -> Certificate | None:
    number = (number or "").strip().upper()
    if not number or len(number) > 32:
        return None
    return session.scalars(sa.select(Certificate).where(Certificate.number == number)).first()


def by_sha256(session: Session, sha256: str) -> Certificate | None:
    return session.scalars(sa.select(Certificate).where(Certificate.sha256 == sha256)).first()


VERDICTS = {
    "genuine": "A genuine, unaltered certificate issued by us.",
    "altered": "This file has been altered since it was signed: do not rely on it.",
    "not_a_pdf": "This file is not a PDF, so it is not one of our certificates.",
    "unsigned": "This file carries no digital signature: it is not a certificate as we issue them.",
    "untrusted_signer": "The signature is not made with one of our signing keys.",
    "not_on_record": "The signature is ours but this exact file is not one we issued.",
}


def verify_upload(session: Session, pdf: bytes) -> dict:
    if not pdf[:1024].lstrip().startswith(b"%PDF"):
        return {"genuine": False, "verdict": "not_a_pdf", "message": VERDICTS["not_a_pdf"], "reason": None,
                "document_sha256": hashlib.sha256(pdf).hexdigest(), "signer_subject": None,
                "signer_cert_sha256": None, "signed_at": None, "claimed_number": None, "certificate": None}
    result = certificates.verify_pdf(pdf, keys.published_certs(session))
    cert = by_sha256(session, result.document_sha256)
    claimed = result.certificate_number
    if result.valid:
        verdict = "genuine" if cert is not None else "not_on_record"
    elif result.reason and result.reason.startswith("altered"):
        verdict = "altered"
    elif result.signer_subject is None and "no signature" in (result.reason or ""):
        verdict = "unsigned"
    else:
        verdict = "untrusted_signer"
    if cert is None and claimed:
        cert_claimed = by_number(session, claimed)
    else:
        cert_claimed = None
    return {
        "genuine": verdict == "genuine",
        "verdict": verdict,
        "message": VERDICTS[verdict],
        "reason": result.reason,
        "document_sha256": result.document_sha256,
        "signer_subject": result.signer_subject,
        "signer_cert_sha256": result.signer_cert_sha256,
        "signed_at": _iso(result.signed_at),
        "claimed_number": claimed,
        # The certificate this file is (genuine) or claims to be (altered): its current status.
        "certificate": public_status(session, cert) if cert is not None else
        (public_status(session, cert_claimed) if cert_claimed is not None else None),
    }
