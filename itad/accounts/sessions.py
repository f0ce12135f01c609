"""Signed-in browsers kept on the server (web_session): the browser's cookie holds a random token, the row its
SHA-256, the role it was opened with and a marker of the password. A session ends when it is signed out, when its
lifetime (SESSION_LIFETIME_SECONDS) is over, or when its user is deactivated, changes password or changes role:
each request reads the row, in whatever process it lands."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import User, WebSession, utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_marker(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()


def open_session(session: Session, user: User, *, address: str, lifetime_seconds: float) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(token_hash=_digest(token), user_id=user.id, role=user.role,
                           password_marker=password_marker(user), address=(address or "unknown")[:64],
                           created_at=now, expires_at=now + timedelta(seconds=lifetime_seconds)))
    session.flush()
    return token


def user_of(session: Session, token: str | None, user_id: int) -> User | None:
    """The session's user while the session stands, else None (the browser is signed out)."""
    if not token:
        return None
    row = session.execute(sa.select(WebSession, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.token_hash == _digest(token))).first()
    if row is None:
        return None
    web, user = row
    if (web.user_id != user_id or web.revoked_at is not None or web.expires_at <= utcnow() or not user.active
            or web.role != user.role or web.password_marker != password_marker(user)):
        return None
    return user


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(sa.update(WebSession).where(WebSession.token_hash == _digest(token),
                                                    WebSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
