"""Issued certificates of sanitization, the requests that issue them, and the operator's signing keys.

A certificate row is never edited after issue except to record what happened to it later:
superseded (by a re-issue, which is a new row and a new number) or revoked (with the reason).
The PDF and the JSON live in content-addressed storage; the row keeps their SHA-256.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, UTCDateTime, db, utcnow


class CertificateStatus(str, enum.Enum):
    issued = "issued"
    superseded = "superseded"
    revoked = "revoked"


class SigningKey(db.Model):
    """One signing identity. The private key is stored encrypted (PKCS#8 with the configured
    passphrase) and never leaves the server; the certificate is what the operator publishes.
    Retired keys stay: certificates they signed must still verify."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the certificate's DER: how a signature found in a PDF names its key.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(400))
    cert_pem: Mapped[str] = mapped_column(sa.Text)
    key_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    source: Mapped[str] = mapped_column(sa.String(16))  # generated, imported
    active: Mapped[bool] = mapped_column(default=False)
    not_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CertificateCounter(db.Model):
    """The last certificate number given out per year. Numbers come from here, under a row lock,
    so they are unique and never reused (a number is taken when the request is made)."""

    __tablename__ = "certificate_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class CertificateRequest(db.Model):
    """"Issue a certificate for this batch (or device)": made by a person or by closing a batch,
    completed once by the issuing job. The certificate row points back to it (unique), which is what
    makes running the job twice give one certificate."""

    __tablename__ = "certificate_request"
    __table_args__ = (sa.Index("ix_certificate_request_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # batch, device
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id"))


class Certificate(db.Model):
    __tablename__ = "certificate"
    __table_args__ = (
        sa.Index("ix_certificate_batch_kind_status", "batch_id", "kind", "status"),
        sa.Index("ix_certificate_device", "device_id"),
        sa.Index("ix_certificate_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # batch, device
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=CertificateStatus.issued.value)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("certificate_request.id"), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))
    # The signed PDF: its SHA-256 is also its storage key (content-addressed).
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column()
    # The machine-readable certificate (certificates.to_json), stored the same way.
    json_sha256: Mapped[str] = mapped_column(sa.String(64))
    signing_key_id: Mapped[int] = mapped_column(sa.ForeignKey("signing_key.id"))
    # Counts by outcome, so listing certificates never opens the JSON.
    summary: Mapped[dict] = mapped_column(JSONType)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(500))
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    @property
    def storage_key(self) -> str:
        return self.sha256
