"""The per-address limit on failed sign-ins, counted in the database.

The account lockout (User.locked_until) stops guessing one account's password; this stops one
address from trying many accounts. Failures are rows, so every gunicorn worker and every machine
sees the same count; old rows are pruned as new ones arrive, so the table stays small.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import FailedSignIn


def failures_since(session: Session, address: str, since: datetime) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(FailedSignIn)
        .where(FailedSignIn.address == address, FailedSignIn.at > since)
    ) or 0


def address_blocked(session: Session, address: str, now: datetime, *, max_failures: int, window_seconds: int) -> bool:
    return failures_since(session, address, now - timedelta(seconds=window_seconds)) >= max_failures


def record_failure(session: Session, address: str, now: datetime, *, window_seconds: int) -> None:
    session.execute(sa.delete(FailedSignIn).where(FailedSignIn.address == address,
                                                  FailedSignIn.at <= now - timedelta(seconds=window_seconds)))
    session.add(FailedSignIn(address=address, at=now))
    session.flush()
