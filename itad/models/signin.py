"""Failed sign-ins by network address: the per-IP limit lives in the database.

Process memory is not shared between gunicorn workers (nor between machines), the database is,
so counting failures here is what makes the limit hold however many web processes run.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import UTCDateTime, db, utcnow


class FailedSignIn(db.Model):
    __tablename__ = "failed_sign_in"
    __table_args__ = (sa.Index("ix_failed_sign_in_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # IPv4 or IPv6 text form (45 characters is the longest IPv6 with an embedded IPv4).
    address: Mapped[str] = mapped_column(sa.String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
