"""The custody log: append-only, hash-chained per batch."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import UTCDateTime, JSONType, db, utcnow


class CustodyEvent(db.Model):
    __tablename__ = "custody_event"
    __table_args__ = (
        # One chain per batch: seq orders it, and the pair forbids a fork.
        sa.UniqueConstraint("batch_id", "seq", name="uq_custody_event_batch_seq"),
        sa.Index("ix_custody_event_device", "device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Name of the actor at the time (a user may be renamed later; the log may not).
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(24))
    to_state: Mapped[str | None] = mapped_column(sa.String(24))
    evidence: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class CustodyCheckpoint(db.Model):
    """The heads of the custody chains, signed: a later cut or rewrite of any chain it covers no longer ends in
    its head (docs/custody-chain.md, "Checkpoints"). Written once, never changed."""

    __tablename__ = "custody_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heads: Mapped[list] = mapped_column(JSONType)          # [{"batch_id", "seq", "hash"}], by batch_id
    merkle_root: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    signing_key_id: Mapped[int] = mapped_column(sa.ForeignKey("signing_key.id"))
    # RFC 3161 time-stamp token over the signature, when a time-stamp authority is configured (TSA_URL).
    timestamp_token: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
