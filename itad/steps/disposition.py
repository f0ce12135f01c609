"""Where a unit goes when its data is dealt with: cleared for resale, or physically destroyed.

Clearing needs every data-bearing medium wiped and verified as the policy asks, and a policy that
allows resale at all (the machine's guards). Destruction is always possible for a unit in hand and
takes every medium with it; it is certified with its technique, witness and time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from itad.models import User, utcnow
from itad.steps.applying import apply_step
from itad.steps.planning import Planned, Step


def clear(session: Session, actor: User, device_id: int, *, expected_version: int | None = None) -> Planned:
    return apply_step(session, actor, device_id, Step("clear", {}, {"destination": "resale"}),
                      expected_version=expected_version)


def destroy(session: Session, actor: User, device_id: int, *, technique: str, witness: str | None = None,
            destroyed_at: datetime | None = None, notes: str | None = None,
            expected_version: int | None = None) -> Planned:
    when = destroyed_at or utcnow()
    return apply_step(session, actor, device_id, Step(
        "destroy", {"technique": technique},
        {"witness": witness, "destroyed_at": when.isoformat(), "notes": notes},
        {"technique": technique, "witness": witness, "destroyed_at": when, "notes": notes}),
        expected_version=expected_version)
