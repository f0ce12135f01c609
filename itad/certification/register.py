"""The certificate register: what an admin reads to keep certificates in order.

Every certificate ever issued, filtered by client, batch, kind and status; and the closed batches that
have no batch certificate in force (closed before a signing key was set up, or whose certificate was
revoked), each with the request still waiting for its job, if one is.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad.models import Batch, Certificate, CertificateRequest, CertificateStatus, Job

STATUSES = tuple(s.value for s in CertificateStatus)
KINDS = ("batch", "device")


def search(*, organization_id: int | None = None, batch_id: int | None = None, status: str | None = None,
           kind: str | None = None) -> sa.Select:
    """Certificates matching every given filter (operator view: the caller is an admin)."""
    stmt = sa.select(Certificate)
    if organization_id is not None:
        stmt = stmt.where(Certificate.organization_id == organization_id)
    if batch_id is not None:
        stmt = stmt.where(Certificate.batch_id == batch_id)
    if status:
        stmt = stmt.where(Certificate.status == status)
    if kind:
        stmt = stmt.where(Certificate.kind == kind)
    return stmt


@dataclass(frozen=True)
class Awaiting:
    """A closed batch with no batch certificate in force."""

    batch: Batch
    last_status: str | None        # its latest batch certificate's status (revoked...), None if never issued
    pending: CertificateRequest | None  # a request whose job has not produced its certificate (yet)
    pending_job: Job | None


def awaiting_certificate(session: Session, *, organization_id: int | None = None, limit: int = 50) -> list[Awaiting]:
    in_force = (sa.select(Certificate.id)
                .where(Certificate.batch_id == Batch.id, Certificate.kind == "batch",
                       Certificate.status == CertificateStatus.issued.value).exists())
    stmt = sa.select(Batch).where(Batch.status == "closed", ~in_force)
    if organization_id is not None:
        stmt = stmt.where(Batch.organization_id == organization_id)
    found = session.scalars(stmt.order_by(Batch.id.desc()).limit(limit)).all()
    ids = [b.id for b in found]
    if not ids:
        return []
    last = {bid: status for bid, status in session.execute(
        sa.select(Certificate.batch_id, Certificate.status).where(Certificate.batch_id.in_(ids),
                                                                  Certificate.kind == "batch")
        .order_by(Certificate.id))}
    pending: dict[int, tuple[CertificateRequest, Job | None]] = {}
    for req, job in session.execute(
            sa.select(CertificateRequest, Job).outerjoin(Job, Job.id == CertificateRequest.job_id)
            .outerjoin(Certificate, Certificate.request_id == CertificateRequest.id)
            .where(CertificateRequest.batch_id.in_(ids), CertificateRequest.kind == "batch", Certificate.id.is_(None))
            .order_by(CertificateRequest.id)):
        pending[req.batch_id] = (req, job)  # the latest wins
    return [Awaiting(b, last.get(b.id), *pending.get(b.id, (None, None))) for b in found]


def batches_of(session: Session, certs: list[Certificate]) -> dict[int, Batch]:
    """{batch id: batch} for a page of certificates, in one query (their client and reference)."""
    ids = {c.batch_id for c in certs}
    return {b.id: b for b in session.scalars(sa.select(Batch).where(Batch.id.in_(ids)))} if ids else {}
