"""The per-address limit on failed sign-ins, counted in the database.

The account lockout (User.locked_until) stops guessing one account's password; this stops one
address from trying many accounts. Failures are rows, so every gunicorn worker and every machine
sees the same count; old rows are pruned as new ones arrive, so the table stays small.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import FailedSignIn, User


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


def hold_address(session: Session, address: str) -> None:
    """Attempts from one address take their turn until this one commits: PostgreSQL, an advisory lock for the
    transaction; SQLite, the write lock, taken by a first write (one writer at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "sign-in " + address})
    else:
        session.execute(sa.text("UPDATE failed_sign_in SET address = address WHERE 0"))


def hold_account(session: Session, email: str) -> User | None:
    """The account an email names, its row locked until this attempt commits (None when there is none)."""
    return session.scalars(sa.select(User).where(User.email == (email or "").strip().lower())
                           .with_for_update(of=User)).first()
