"""Erasure reports imported for a batch, and the drives in them that a person must still resolve."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, UTCDateTime, db, utcnow


class ErasureReport(db.Model):
    """One imported file: its format, its tool, what became of its drives. The bytes are in the document store
    under report_sha256, as every wipe record it produced says."""

    __tablename__ = "erasure_report"
    __table_args__ = (sa.Index("ix_erasure_report_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(sa.String(16))
    tool: Mapped[str] = mapped_column(sa.String(120))
    tool_version: Mapped[str | None] = mapped_column(sa.String(60))
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    report_sha256: Mapped[str] = mapped_column(sa.String(64))
    drives: Mapped[int] = mapped_column()
    applied: Mapped[int] = mapped_column()
    rejected: Mapped[int] = mapped_column()
    unmatched: Mapped[int] = mapped_column()
    warnings: Mapped[list] = mapped_column(JSONType, default=list)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ErasureReviewItem(db.Model):
    """A drive of a report that was not applied: rejected (the report or the workflow refused it) or unmatched
    (no drive of the batch has its serial). Open until a technician matches it to a drive of the batch or
    dismisses it with a reason; an open item keeps the batch from closing."""

    __tablename__ = "erasure_review_item"
    __table_args__ = (sa.Index("ix_erasure_review_batch_state", "batch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("erasure_report.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()               # the drive's index in the report's results
    kind: Mapped[str] = mapped_column(sa.String(16))      # rejected, unmatched
    reason: Mapped[str] = mapped_column(sa.String(1000))
    drive: Mapped[dict] = mapped_column(JSONType)         # how the report names the drive (DriveResult.about)
    item: Mapped[dict] = mapped_column(JSONType)          # the wipe it reports, as apply_wipes takes it
    medium_id: Mapped[int | None] = mapped_column(sa.ForeignKey("storage_medium.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(16), default="open")   # open, matched, dismissed
    resolution: Mapped[str | None] = mapped_column(sa.String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
