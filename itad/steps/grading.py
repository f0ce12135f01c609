"""Grading a unit whose data is dealt with: the cosmetic grade and the functional checks.

With the checks of its category's scheme (workflows.grading; an admin's, else the default), the grade follows
from them; a technician who grades otherwise overrides, and must say why. What was checked, the grade the checks
gave and any override are kept with the grading (`functional_checks`) and in the custody event. A grade given
without the checks is recorded as such (no `derived` grade in the record).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Invalid
from itad.models import Device, GradingScheme, User
from itad.steps.applying import apply_step
from itad.steps.planning import Planned, Step
from workflows.grading import DEFAULT_SCHEMES, SchemeError, check_scheme, derive, required
from workflows.states import DeviceState

GRADES = ("A", "B", "C", "D")


def scheme_of(session: Session, category: str | None) -> tuple[dict | None, str]:
    """(the category's scheme, "admin" or "default"); (None, "none") where there is neither."""
    key = (category or "").strip().lower()
    stored = session.scalar(sa.select(GradingScheme.definition).where(GradingScheme.category == key))
    if stored is not None:
        return stored, "admin"
    return (DEFAULT_SCHEMES[key], "default") if key in DEFAULT_SCHEMES else (None, "none")


def scheme_for(session: Session, category: str | None) -> dict | None:
    return scheme_of(session, category)[0]


def set_scheme(session: Session, actor: User, category: str, definition: dict) -> GradingScheme:
    key = (category or "").strip().lower()
    if not key or len(key) > 60:
        raise Invalid("Name the category the scheme is for (at most 60 characters).", code="invalid_category")
    try:
        check_scheme(definition)
    except SchemeError as exc:
        raise Invalid(str(exc), code="invalid_scheme") from None
    return audit_log.set_row(session, actor, GradingScheme, {"category": key}, {"definition": definition},
                             action="grading_scheme_changed", subject=f"grading scheme {key}")


def grade(session: Session, actor: User, device_id: int, *, grade: str | None = None,
          functional_checks: dict | None = None, notes: str | None = None, expected_version: int | None = None,
          cosmetic: str | None = None, checks: dict | None = None, override_reason: str | None = None,
          buyer_data_erased: str | None = None) -> Planned:
    """Grade a unit, or re-grade one back from its buyer; a data-bearing return names the technique that erased the
    buyer's data (`buyer_data_erased`; the machine refuses the re-grade without it)."""
    record = dict(functional_checks or {})
    # Read unlocked, to choose the scheme and the step; apply_step locks the device (a 404 if it is not there) and the
    # machine judges the step on what it holds then.
    category, state = session.execute(sa.select(Device.category, Device.state)
                                      .where(Device.id == device_id)).first() or (None, None)
    scheme = scheme_for(session, category)
    if checks is None and required(scheme):
        raise Invalid(f"A {category} is graded from its checklist: record each check (and the cosmetic grade); "
                      "the grade follows.", code="checks_required",
                      details={"checks": [c["key"] for c in scheme["checks"]], "needs": ["checks"]})
    if checks is not None:
        if scheme is None:
            raise Invalid(f"No grading scheme is set for the category {category or '(none)'}: give the grade alone.",
                          code="no_grading_scheme")
        try:
            derived, missed = derive(scheme, cosmetic, checks)
        except SchemeError as exc:
            raise Invalid(str(exc), code="checks_incomplete") from None
        reason = (override_reason or "").strip()
        if grade is not None and grade != derived and not reason:
            raise Invalid(f"The checks give {derived} ({'; '.join(missed) or 'every rule above it held'}); "
                          f"say why you grade {grade} instead.", code="override_needs_reason",
                          details={"derived": derived, "missed": missed})
        grade = grade or derived
        record.update(cosmetic=cosmetic, checks=checks, derived=derived, missed=missed,
                      override_reason=reason or None if grade != derived else None)
    if grade not in GRADES:
        raise Invalid(f"The grade is one of {', '.join(GRADES)}; or record the checks and let it follow.",
                      code="grade_missing")
    # A unit back from its buyer is graded again with the same form and rules: the step is its re-grade.
    action = "regrade" if state == DeviceState.returned.value else "grade"
    facts = {"grade": grade, "buyer_data_erased": buyer_data_erased} if action == "regrade" else {"grade": grade}
    return apply_step(session, actor, device_id, Step(action, facts, {"functional_checks": record, "notes": notes},
                                                      {"functional_checks": record, "notes": notes}),
                      expected_version=expected_version)
