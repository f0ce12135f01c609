"""Who may see what: the tenant rule in one place.

Client users see only their own organization's rows; technicians and admins
work for the operator and see all. A row the user may not see is reported
exactly like a row that does not exist (404), so ids cannot be probed.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Forbidden, NotFound
from itad.models import User

T = TypeVar("T")


def scope(stmt: sa.Select, model, user: User) -> sa.Select:
    """Restrict a select over a model with an ``organization_id`` column to what the user may see."""
    if user.is_operator:
        return stmt
    return stmt.where(model.organization_id == user.organization_id)


def get_visible(session: Session, model: type[T], row_id: int, user: User, what: str | None = None) -> T:
    row = session.get(model, row_id)
    if row is None or not (user.is_operator or row.organization_id == user.organization_id):
        raise NotFound(f"No {what or model.__name__.lower()} with id {row_id}.")
    return row


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden(
            f"This action needs the role {' or '.join(roles)}; you are signed in as {user.role}.",
            details={"required": list(roles), "role": user.role},
        )
