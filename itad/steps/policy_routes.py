"""Clients' sanitization policies: admins set them (append-only), everyone reads their own."""

from __future__ import annotations

from itad import batches
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.steps.schemas import PolicyIn, PolicyOut, PolicyRowOut
from itad.errors import NotFound
from itad.models import Organization, db
from itad.steps import policies


def _org(org_id: int) -> Organization:
    user = current_user()
    org = db.session.get(Organization, org_id)
    if org is None or not (user.is_operator or user.organization_id == org_id):
        raise NotFound(f"No organization with id {org_id}.")
    return org


def _out(org_id: int, batch_id: int | None, weakenings: list[str] | None = None) -> PolicyOut:
    effective = policies.effective_policy(db.session, org_id, batch_id)
    rows = policies.history(db.session, org_id, batch_id)
    return PolicyOut(organization_id=org_id, batch_id=batch_id, effective=effective.to_dict(),
                     weakens_organization_policy=weakenings or [],
                     history=[PolicyRowOut.model_validate(r) for r in rows])


@bp.get("/organizations/<int:org_id>/policy")
@operation("A client's sanitization policy and its history", response=PolicyOut, tags=("policy",), errors=(404,))
def get_org_policy(org_id: int):
    return _out(_org(org_id).id, None)


@bp.put("/organizations/<int:org_id>/policy")
@operation("Set a client's sanitization policy (a new row; history is kept)", roles=("admin",), body=PolicyIn,
           response=PolicyOut, tags=("policy",), errors=(403, 404, 422))
def set_org_policy(org_id: int, body: PolicyIn):
    org = _org(org_id)
    policies.set_policy(db.session, current_user(), org.id, body.rules, note=body.note)
    return _out(org.id, None)


@bp.get("/batches/<int:batch_id>/policy")
@operation("The policy in force for a batch (organization's, with the batch override)", response=PolicyOut,
           tags=("policy",), errors=(404,))
def get_batch_policy(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return _out(batch.organization_id, batch.id)


@bp.put("/batches/<int:batch_id>/policy")
@operation("Override the policy for one batch (only the fields given)", roles=("admin",), body=PolicyIn,
           response=PolicyOut, tags=("policy",), errors=(403, 404, 422))
def set_batch_policy(batch_id: int, body: PolicyIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    _, _, weak = policies.set_policy(db.session, current_user(), batch.organization_id, body.rules,
                                     batch_id=batch.id, note=body.note)
    return _out(batch.organization_id, batch.id, weak)
