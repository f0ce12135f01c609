"""Where a unit goes when its data is dealt with: cleared for resale, or physically destroyed.

Clearing needs every data-bearing medium wiped and verified as the policy asks, and a policy that
allows resale at all (the machine's guards). Destruction is always possible for a unit in hand and
takes every medium with it; it is certified with its technique, witness and time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from itad.models import Destruction, Device, User, utcnow
from itad.steps.transitions import Applied, apply_transition, check_version, flush


def clear(session: Session, actor: User, device: Device, *, expected_version: int | None = None) -> Applied:
    check_version(device, expected_version)
    return apply_transition(session, device, "clear", actor, evidence={"destination": "resale"})


def destroy(session: Session, actor: User, device: Device, *, technique: str, witness: str | None = None,
            destroyed_at: datetime | None = None, notes: str | None = None,
            expected_version: int | None = None) -> tuple[Destruction, Applied]:
    check_version(device, expected_version)
    when = destroyed_at or utcnow()
    applied = apply_transition(session, device, "destroy", actor, technique=technique,
                               evidence={"witness": witness, "destroyed_at": when.isoformat(), "notes": notes})
    row = Destruction(device_id=device.id, technique=applied.outcome.evidence.get("technique") or technique,
                      witness=witness, destroyed_at=when, notes=notes, performed_by_id=actor.id,
                      performed_by_label=actor.name)
    session.add(row)
    flush(session, device.id)
    return row, applied
