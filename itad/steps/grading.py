"""Grading a unit whose data is dealt with: the cosmetic grade and the functional checks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from itad.models import User
from itad.steps.applying import apply_step
from itad.steps.planning import Planned, Step

GRADES = ("A", "B", "C", "D")


def grade(session: Session, actor: User, device_id: int, *, grade: str, functional_checks: dict | None = None,
          notes: str | None = None, expected_version: int | None = None) -> Planned:
    return apply_step(session, actor, device_id, Step(
        "grade", {"grade": grade}, {"functional_checks": functional_checks or {}, "notes": notes},
        {"functional_checks": functional_checks, "notes": notes}), expected_version=expected_version)
