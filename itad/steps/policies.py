"""Where a client's sanitization policy is kept: append-only rows per organization, overrides per batch.

The effective policy of a batch is the organization's latest row (or the defaults) with the batch's
latest override merged on top. Nothing is updated in place, so the history is the table itself.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.errors import Invalid
from itad.models import SanitizationPolicy, User
from workflows.policy import DEFAULT_POLICY, Policy, PolicyError

def _latest(session: Session, organization_id: int, batch_id: int | None) -> SanitizationPolicy | None:
    stmt = sa.select(SanitizationPolicy).where(SanitizationPolicy.organization_id == organization_id)
    stmt = stmt.where(SanitizationPolicy.batch_id.is_(None) if batch_id is None
                      else SanitizationPolicy.batch_id == batch_id)
    return session.scalars(stmt.order_by(SanitizationPolicy.id.desc()).limit(1)).first()


def organization_policy(session: Session, organization_id: int) -> Policy:
    row = _latest(session, organization_id, None)
    return Policy.from_dict(row.rules) if row else DEFAULT_POLICY


def effective_policy(session: Session, organization_id: int, batch_id: int | None) -> Policy:
    """The organization's policy, with the batch's override merged on top (batch_id given)."""
    if batch_id is None:
        return organization_policy(session, organization_id)
    org_rules, batch_rules = session.execute(sa.select(*rules_columns()),
                                             {"organization_id": organization_id, "batch_id": batch_id}).one()
    return merged(org_rules, batch_rules)


def merged(org_rules: dict | None, batch_rules: dict | None) -> Policy:
    policy = Policy.from_dict(org_rules) if org_rules is not None else DEFAULT_POLICY
    return policy.merged(batch_rules) if batch_rules is not None else policy


@functools.cache
def rules_columns() -> tuple:
    """(the organization's latest rules, the batch's latest override) as two scalar subqueries, bound
    by :organization_id and :batch_id: a workflow step reads them in the statement it already makes."""
    def latest(batch_filter) -> sa.ScalarSelect:
        return (sa.select(SanitizationPolicy.rules)
                .where(SanitizationPolicy.organization_id == sa.bindparam("organization_id"), batch_filter)
                .order_by(SanitizationPolicy.id.desc()).limit(1).scalar_subquery())
    return (latest(SanitizationPolicy.batch_id.is_(None)).label("organization_rules"),
            latest(SanitizationPolicy.batch_id == sa.bindparam("batch_id")).label("batch_rules"))


def _checked(rules: dict[str, Any], base: Policy) -> Policy:
    try:
        return base.merged(rules)
    except (PolicyError, TypeError) as exc:
        raise Invalid(f"The policy is not valid: {exc}", code="invalid_policy") from None


def set_policy(session: Session, actor: User, organization_id: int, rules: dict[str, Any],
               batch_id: int | None = None, note: str | None = None) -> tuple[SanitizationPolicy, Policy, list[str]]:
    """Append a policy row. For an organization, `rules` is the whole policy (missing keys take the
    defaults); for a batch, only the fields it overrides. Returns the row, the effective policy and
    where it asks less than the organization's (a batch override may loosen it, knowingly)."""
    org_policy = organization_policy(session, organization_id)
    previous = _latest(session, organization_id, batch_id)
    effective = _checked(rules, DEFAULT_POLICY if batch_id is None else org_policy)
    stored = effective.to_dict() if batch_id is None else rules
    if batch_id is not None:
        # Keep the override as given (only its fields), but normalised like the whole policy.
        stored = {k: v for k, v in effective.to_dict().items() if k in rules}
    row = SanitizationPolicy(organization_id=organization_id, batch_id=batch_id, rules=stored,
                             note=note, created_by_id=actor.id)
    session.add(row)
    session.flush()
    audit_log.record(session, "policy_changed", organization_id=organization_id, actor=actor,
                     subject=f"sanitization policy of {'batch ' + str(batch_id) if batch_id else 'the organization'}",
                     before={"rules": previous.rules} if previous else None,
                     after={"rules": stored, "note": note})
    return row, effective, org_policy.weakenings(effective) if batch_id is not None else []


def history(session: Session, organization_id: int, batch_id: int | None = None) -> list[SanitizationPolicy]:
    stmt = sa.select(SanitizationPolicy).where(SanitizationPolicy.organization_id == organization_id)
    stmt = stmt.where(SanitizationPolicy.batch_id.is_(None) if batch_id is None
                      else SanitizationPolicy.batch_id == batch_id)
    return session.scalars(stmt.order_by(SanitizationPolicy.id.desc())).all()
