"""Stored documents: certificate PDFs and JSON, erasure-tool reports, uploaded asset lists, by SHA-256."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import UTCDateTime, db, utcnow


class Document(db.Model):
    """The bytes of one document, named by their SHA-256 (the database storage backend: itad.documents).

    Written in the transaction of the row that names it, so the two commit together or not at all."""

    __tablename__ = "document"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
