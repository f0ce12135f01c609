"""Grading a unit whose data is dealt with: the cosmetic grade and the functional checks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from itad.models import Device, DeviceGrading, User
from itad.steps.transitions import Applied, apply_transition, check_version, flush

GRADES = ("A", "B", "C", "D")


def grade(session: Session, actor: User, device: Device, *, grade: str, functional_checks: dict | None = None,
          notes: str | None = None, expected_version: int | None = None) -> tuple[DeviceGrading, Applied]:
    check_version(device, expected_version)
    applied = apply_transition(session, device, "grade", actor, grade=grade,
                               evidence={"functional_checks": functional_checks or {}, "notes": notes})
    row = DeviceGrading(device_id=device.id, grade=grade, functional_checks=functional_checks, notes=notes,
                        graded_by_id=actor.id, graded_by_label=actor.name)
    session.add(row)
    flush(session, device.id)
    return row, applied
