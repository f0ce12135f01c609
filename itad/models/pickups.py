"""Pickups from a client's site: the request, its schedule, the sealed containers loaded, the signed handoff,
and the seals as the dock found them (workflows.pickups holds the steps)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, UTCDateTime, db, utcnow


class Pickup(db.Model):
    __tablename__ = "pickup"
    __table_args__ = (sa.Index("ix_pickup_org", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="requested")
    site_address: Mapped[str] = mapped_column(sa.String(500))
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_phone: Mapped[str] = mapped_column(sa.String(60))
    window_start: Mapped[date] = mapped_column(sa.Date)
    window_end: Mapped[date] = mapped_column(sa.Date)
    expected: Mapped[dict] = mapped_column(JSONType)          # {category: count} the client expects to hand over
    loading_notes: Mapped[str | None] = mapped_column(sa.String(1000))
    scheduled_for: Mapped[date | None] = mapped_column(sa.Date)
    crew: Mapped[str | None] = mapped_column(sa.String(200))
    vehicle: Mapped[str | None] = mapped_column(sa.String(120))
    # The handoff at the site, signed by both: who and when (UTC), as they signed the bill of lading.
    client_representative: Mapped[str | None] = mapped_column(sa.String(200))
    client_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    driver: Mapped[str | None] = mapped_column(sa.String(200))
    driver_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The bill of lading, signed by the operator's key: its SHA-256 in the document store.
    manifest_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    version: Mapped[int] = mapped_column(default=1)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class PickupBatch(db.Model):
    """A batch whose devices the pickup carries: the handoffs are custody events on its chain. A batch travels in
    one pickup."""

    __tablename__ = "pickup_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(sa.ForeignKey("pickup.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), unique=True)


class PickupContainer(db.Model):
    """A sealed container loaded at the site, and what the dock found of its seal."""

    __tablename__ = "pickup_container"
    __table_args__ = (
        sa.UniqueConstraint("pickup_id", "seal_number", name="uq_pickup_container_seal"),
        sa.CheckConstraint("pieces >= 0 AND weight_kg >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(sa.ForeignKey("pickup.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))                # workflows.pickups.CONTAINER_KINDS
    seal_number: Mapped[str] = mapped_column(sa.String(60))
    pieces: Mapped[int] = mapped_column()
    weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2, asdecimal=True))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # At the dock: the seal number read, and intact / broken / mismatched (workflows.pickups.seal_result).
    seal_read: Mapped[str | None] = mapped_column(sa.String(60))
    seal_result: Mapped[str | None] = mapped_column(sa.String(16))
    check_note: Mapped[str | None] = mapped_column(sa.String(500))
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
