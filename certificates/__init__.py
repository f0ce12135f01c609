"""Certificates of sanitization: data -> signed PDF (and JSON), verification,
signing keys and storage. Plain Python: no Flask, no SQL, nothing of `itad`."""

from __future__ import annotations

from functools import partial
from typing import Sequence

from .data import (
    BatchRef, CertificateData, CertificateDataError, Client, LooseMedia, MediumLine, Operator, Person,
    Summary, to_json,
)
from .render import RenderError, render_device_pdfs, render_pdf, shutdown_pool
from .signing import _signer
from .signing import (
    SigningKeyError, Timestamping, cert_fingerprint, generate_signing_identity, import_identity, sign_bytes,
    sign_pdf, timestamp_token, verify_bytes,
)
from .storage import LocalStorage, Storage, StorageKeyError
from .verify import VerifyResult, verify_pdf

__all__ = [
    "BatchRef", "CertificateData", "CertificateDataError", "Client", "LooseMedia", "MediumLine", "Operator",
    "Person", "Summary", "to_json", "RenderError", "render_pdf", "render_device_pdfs",
    "shutdown_pool", "SigningKeyError", "cert_fingerprint", "generate_signing_identity",
    "import_identity", "sign_bytes", "sign_pdf", "verify_bytes", "Timestamping", "timestamp_token", "LocalStorage", "Storage", "StorageKeyError",
    "VerifyResult", "verify_pdf", "issue_pdf", "issue_device_pdfs",
]


def _reason(data: CertificateData) -> str:
    return f"Certificate of Sanitization {data.number}"


def issue_pdf(
    data: CertificateData,
    key_pem: bytes,
    cert_pem: bytes,
    passphrase: bytes,
    *,
    timestamping: Timestamping | None = None,
) -> bytes:
    """The certificate rendered and signed, ready to store and hand out."""
    pdf = render_pdf(data)
    return sign_pdf(pdf, key_pem, cert_pem, passphrase, reason=_reason(data),
                    location=data.operator.location, timestamping=timestamping)


def issue_device_pdfs(
    datas: Sequence[CertificateData],
    key_pem: bytes,
    cert_pem: bytes,
    passphrase: bytes,
    *,
    workers: int | None = None,
    timestamping: Timestamping | None = None,
) -> list[bytes]:
    """Many per-device certificates, rendered and signed in the worker pool,
    in the order given."""
    if not datas:
        return []
    location = datas[0].operator.location
    # Decrypt the key here, once: pool workers forked after this inherit it
    # instead of each paying the key derivation.
    _signer(key_pem, cert_pem, passphrase)
    sign = partial(_sign_device, key_pem=key_pem, cert_pem=cert_pem, passphrase=passphrase,
                   location=location, timestamping=timestamping)
    return render_device_pdfs(datas, workers=workers, finish=sign)


def _sign_device(pdf: bytes, data: CertificateData, *, key_pem: bytes, cert_pem: bytes,
                 passphrase: bytes, location: str, timestamping: Timestamping | None = None) -> bytes:
    return sign_pdf(pdf, key_pem, cert_pem, passphrase, reason=_reason(data), location=location,
                    timestamping=timestamping)
