"""Registering a long asset list in the background (only when Redis is configured).

The request stores the upload as a document (itad.documents) keyed by its SHA-256 and enqueues
``import_batch`` with that id; the job runs the same service as the inline path. Safe to run
twice: a second run finds the batch the first one registered (same client, same bytes) and
returns it.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from certificates.storage import Storage
from itad import documents
from itad.intake import service
from itad.jobs import JobContext, enqueue, job
from itad.models import Job, Organization, User


@job("imports")
def import_batch(ctx: JobContext, upload_id: str, reference: str, filename: str | None,
                 organization_id: int, created_by_id: int | None = None, confidentiality: str | None = None,
                 data_backed_up: bool | None = None) -> dict:
    session = ctx.session
    config = current_app.config
    organization = session.get(Organization, organization_id)
    actor = session.get(User, created_by_id) if created_by_id else None
    store = documents.storage(session, config)
    data = store.get(upload_id)
    total = service.estimate_rows(data)
    registration = service.register_batch(
        session, organization=organization, actor=actor, reference=reference, data=data,
        filename=filename, max_rows=config["INTAKE_MAX_ROWS"], confidentiality=confidentiality,
        data_backed_up=data_backed_up, progress=lambda done, _total: ctx.progress(min(done, total), total),
    )
    if not registration.created:  # a re-run after the commit: the bytes are no longer needed
        store.delete(upload_id)
    batch = registration.batch
    return {"batch_id": batch.id, "created": registration.created, "rows": registration.rows,
            "media": registration.media,
            "links": {"batch": f"/api/v1/batches/{batch.id}", "devices": f"/api/v1/batches/{batch.id}/devices"}}


def enqueue_registration(session: Session, store: Storage, data: bytes, *, organization: Organization,
                         actor: User, reference: str | None, filename: str | None,
                         confidentiality: str | None = None, data_backed_up: bool | None = None) -> Job:
    """Keep the bytes where a worker can read them and queue the import (sent after commit)."""
    upload_id = store.put(data)
    return enqueue(session, import_batch, upload_id=upload_id, reference=reference or "", filename=filename,
                   organization_id=organization.id, created_by_id=actor.id, confidentiality=confidentiality,
                   data_backed_up=data_backed_up)
