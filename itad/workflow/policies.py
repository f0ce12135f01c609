"""Where a client's sanitization policy is kept: append-only rows per organization, overrides per batch.

The effective policy of a batch is the organization's latest row (or the defaults) with the batch's
latest override merged on top. Nothing is updated in place, so the history is the table itself.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.errors import Invalid
from itad.models import SanitizationPolicy, User
from workflows.policy import DEFAULT_POLICY, Policy, PolicyError

_CACHE = "itad.sanitization_policies"


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_policies(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CACHE, None)


def _latest(session: Session, organization_id: int, batch_id: int | None) -> SanitizationPolicy | None:
    stmt = sa.select(SanitizationPolicy).where(SanitizationPolicy.organization_id == organization_id)
    stmt = stmt.where(SanitizationPolicy.batch_id.is_(None) if batch_id is None
                      else SanitizationPolicy.batch_id == batch_id)
    return session.scalars(stmt.order_by(SanitizationPolicy.id.desc()).limit(1)).first()


def organization_policy(session: Session, organization_id: int) -> Policy:
    row = _latest(session, organization_id, None)
    return Policy.from_dict(row.rules) if row else DEFAULT_POLICY


def effective_policy(session: Session, organization_id: int, batch_id: int | None) -> Policy:
    """Read once per transaction: a request asks for it several times (guards, sampling, skip)."""
    cache = session.info.setdefault(_CACHE, {})
    key = (organization_id, batch_id)
    if key not in cache:
        cache[key] = _effective(session, organization_id, batch_id)
    return cache[key]


def _effective(session: Session, organization_id: int, batch_id: int | None) -> Policy:
    policy = organization_policy(session, organization_id)
    if batch_id is not None:
        override = _latest(session, organization_id, batch_id)
        if override:
            policy = policy.merged(override.rules)
    return policy


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
    effective = _checked(rules, DEFAULT_POLICY if batch_id is None else org_policy)
    stored = effective.to_dict() if batch_id is None else rules
    if batch_id is not None:
        # Keep the override as given (only its fields), but normalised like the whole policy.
        stored = {k: v for k, v in effective.to_dict().items() if k in rules}
    session.info.pop(_CACHE, None)
    row = SanitizationPolicy(organization_id=organization_id, batch_id=batch_id, rules=stored,
                             note=note, created_by_id=actor.id)
    session.add(row)
    session.flush()
    return row, effective, org_policy.weakenings(effective) if batch_id is not None else []


def history(session: Session, organization_id: int, batch_id: int | None = None) -> list[SanitizationPolicy]:
    stmt = sa.select(SanitizationPolicy).where(SanitizationPolicy.organization_id == organization_id)
    stmt = stmt.where(SanitizationPolicy.batch_id.is_(None) if batch_id is None
                      else SanitizationPolicy.batch_id == batch_id)
    return session.scalars(stmt.order_by(SanitizationPolicy.id.desc())).all()
