"""Reading batches and devices, always through the tenant rule."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.api.pagination import page
from itad.auth.access import get_visible, scope
from itad.models import Batch, Device, User


def list_batches(session: Session, user: User, *, status: str | None, limit: int, cursor: int | None):
    stmt = scope(sa.select(Batch), Batch, user)
    if status:
        stmt = stmt.where(Batch.status == status)
    return page(session, stmt, Batch.id, limit, cursor)


def get_batch(session: Session, user: User, batch_id: int) -> Batch:
    return get_visible(session, Batch, batch_id, user, "batch")


def state_counts(session: Session, batch_ids: list[int]) -> dict[int, dict[str, int]]:
    """{batch_id: {state: count}} for several batches in one query."""
    counts: dict[int, dict[str, int]] = {bid: {} for bid in batch_ids}
    if not batch_ids:
        return counts
    rows = session.execute(
        sa.select(Device.batch_id, Device.state, sa.func.count())
        .where(Device.batch_id.in_(batch_ids))
        .group_by(Device.batch_id, Device.state)
    )
    for batch_id, state, n in rows:
        counts[batch_id][state] = n
    return counts


def list_devices(
    session: Session,
    user: User,
    batch_id: int,
    *,
    state: str | None = None,
    category: str | None = None,
    serial_prefix: str | None = None,
    limit: int = 100,
    cursor: int | None = None,
):
    batch = get_batch(session, user, batch_id)
    stmt = sa.select(Device).where(Device.batch_id == batch.id)
    if state:
        stmt = stmt.where(Device.state == state)
    if category:
        stmt = stmt.where(sa.func.lower(Device.category) == category.lower())
    if serial_prefix:
        # Serials are stored as given; prefix search is case-insensitive like a scanner user expects.
        escaped = serial_prefix.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.func.upper(Device.serial).like(escaped + "%", escape="\\"))
    return page(session, stmt, Device.id, limit, cursor)


def get_device(session: Session, user: User, device_id: int) -> Device:
    return get_visible(session, Device, device_id, user, "device")
