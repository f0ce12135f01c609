"""What a marketplace calls our grades: Back Market's "Excellent", "Good", "Fair" for our A, B, C, as an admin
sets them. A marketplace's listing feed prints its own condition for each SKU; a grade the admin has not mapped
for that marketplace is left out of its feed and counted, never given a condition by guess."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Invalid
from itad.models import ConditionMapping, User


def mapping(session: Session, marketplace: str) -> dict[str, str]:
    """{our grade: the marketplace's condition}."""
    return dict(session.execute(sa.select(ConditionMapping.grade, ConditionMapping.condition)
                                .where(ConditionMapping.marketplace == _name(marketplace))).all())


def all_mappings(session: Session) -> list[ConditionMapping]:
    return list(session.scalars(sa.select(ConditionMapping).order_by(ConditionMapping.marketplace,
                                                                     ConditionMapping.grade)))


def set_condition(session: Session, actor: User, marketplace: str, grade: str, condition: str) -> ConditionMapping:
    marketplace, grade, condition = _name(marketplace), (grade or "").strip().upper(), (condition or "").strip()
    if not marketplace or len(marketplace) > 40:
        raise Invalid("Name the marketplace (at most 40 characters), e.g. backmarket.", code="invalid_marketplace")
    if not grade or len(grade) > 2:
        raise Invalid("Name our grade (A, B, C, D) the condition is for.", code="invalid_grade")
    if not condition or len(condition) > 60:
        raise Invalid("Give the marketplace's condition name (at most 60 characters), e.g. Excellent.",
                      code="invalid_condition")
    return audit_log.set_row(session, actor, ConditionMapping, {"marketplace": marketplace, "grade": grade},
                             {"condition": condition}, action="condition_mapping_changed",
                             subject=f"{marketplace} grade {grade}")


def _name(marketplace: str | None) -> str:
    return (marketplace or "").strip().lower()
