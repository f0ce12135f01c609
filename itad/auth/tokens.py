"""API bearer tokens: random, shown once, stored as SHA-256 only.

A token has 256 bits of entropy, so a fast hash is enough (no KDF needed): the
point is that a database dump does not hand out working credentials.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import ApiToken, User, utcnow

PREFIX = "itad_"


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str, *, expires_in_days: int | None = None
                ) -> tuple[ApiToken, str]:
    """Create a token for a user; returns the row and the plain value (shown once)."""
    plain = PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user=user, name=name, token_hash=token_digest(plain), prefix=plain[:12], expires_at=expires)
    session.add(token)
    session.flush()
    return token, plain


def revoke_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user behind a live token, or None. Records the last use.

    Read on every request, never cached across requests: a revoked token or a disabled user is
    refused from the next request on, in every process. One statement: the user alone (its
    organization loads only if someone asks), with revocation and activity judged by the database."""
    if not plain.startswith(PREFIX):
        return None
    now = utcnow()
    row = session.execute(_live_token_query(), {"digest": token_digest(plain), "now": now}).first()
    if row is None:
        return None
    user, token_id, last = row
    # Writing on every request would make each GET a write; a minute's precision is plenty.
    if last is None or (now - last).total_seconds() > 60:
        session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return user


@functools.cache
def _live_token_query() -> sa.Select:
    """Built once: composing the statement costs about as much as running it."""
    return (sa.select(User, ApiToken.id, ApiToken.last_used_at)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == sa.bindparam("digest"), ApiToken.revoked_at.is_(None),
                   sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > sa.bindparam("now")),
                   User.active.is_(True)))
