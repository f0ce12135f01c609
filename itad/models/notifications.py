"""Where a client's events go (its webhook endpoints; its users' email) and each delivery's fate."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, UTCDateTime, db, utcnow


class WebhookEndpoint(db.Model):
    """A URL of the client's own systems that receives its events, signed with this endpoint's secret."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (sa.Index("ix_webhook_endpoint_organization", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(64))      # the HMAC key; the client was shown it once
    events: Mapped[list] = mapped_column(JSONType, default=list)   # empty: every event
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(db.Model):
    """One event sent (or being sent) to one endpoint or one address."""

    __tablename__ = "notification_delivery"
    __table_args__ = (sa.Index("ix_notification_delivery_organization", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(sa.String(8))        # webhook, email
    target: Mapped[str] = mapped_column(sa.String(500))       # the URL or the address
    endpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("webhook_endpoint.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")    # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_result: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
