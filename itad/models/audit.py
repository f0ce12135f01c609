"""The operator's audit log: what admins did to policies, terms, users, tokens, keys, certificates and batches."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    """One admin action, hash-chained to the one before (one chain for the whole operator; format as the
    custody chain's, docs/custody-chain.md, "The operator's audit log"). Written once, never changed."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("seq", name="uq_audit_event_seq"),
        sa.Index("ix_audit_event_organization", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column()
    organization_id: Mapped[int | None] = mapped_column()       # the organization it is about (None: the operator's own)
    actor_id: Mapped[int | None] = mapped_column()
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    address: Mapped[str] = mapped_column(sa.String(64))        # the request's address, or "cli"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
