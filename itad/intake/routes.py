"""Registering a batch (POST /api/v1/batches): an asset list (CSV or XLSX upload, or JSON rows) becomes an open batch.

201 with the new batch and per-row results; 200 with the existing batch when the same list was
registered before for that client; 202 with a job when a long list goes to the background
(only with Redis configured); 422 with every problem; 413 past the size or row limit.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from pydantic import BaseModel, ConfigDict, Field

from itad import batches, documents
from itad.api import bp
from itad.batches.routes import batch_out
from itad.api.contract import current_user, operation
from itad.api.schemas import BatchOut, Out
from itad.errors import BadRequest, Invalid
from itad.intake import service
from itad.intake.jobs import enqueue_registration
from itad.models import db


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=120, description="the client's PO or ticket number")
    organization_id: int | None = Field(
        None, description="operator admins: the client to register for; client users: omit (or their own)")
    rows: list[dict[str, Any]] = Field(
        min_length=1, description="one object per device; keys are read like a file's headers")


class RowResultOut(Out):
    row: int
    serial: str
    device_id: int
    media: int
    status: str


class RegistrationOut(Out):
    batch: BatchOut
    created: bool = Field(description="false: this list was registered before; this is that batch")
    rows: int
    media: int
    columns: dict | None = Field(None, description="which column of the file went where")
    row_results: list[RowResultOut] | None = Field(
        None, description=f"per manifest row, for lists up to {service.MAX_ROW_RESULTS} rows; "
                          "longer lists: page through links.devices")
    links: dict[str, str]


class JobAcceptedOut(Out):
    job_id: int
    status: str
    links: dict[str, str]


def _upload() -> tuple[bytes, str | None, str | None, int | None]:
    """(bytes, file name, reference, organization_id) from a multipart upload."""
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Send the asset list as a multipart field 'file', or JSON rows.",
                         code="file_required")
    raw_org = (request.form.get("organization_id") or "").strip()
    try:
        organization_id = int(raw_org) if raw_org else None
    except ValueError:
        raise Invalid("organization_id must be a number.", code="validation_failed",
                      details=[{"field": "organization_id", "message": "not an integer"}])
    return upload.read(), upload.filename or None, request.form.get("reference"), organization_id


@bp.post("/batches")
@operation(
    "Register a batch from an asset list (CSV/XLSX upload or JSON rows)",
    roles=("client", "admin"),
    body=RegisterIn,
    form={"file": "file!", "reference": "text!", "organization_id": "integer"},
    response=RegistrationOut,
    status=201,
    tags=("batches",),
    errors=(404, 413),
)
def register_batch(body: RegisterIn | None):
    user = current_user()
    if body is not None:
        data, filename = service.rows_as_json_file(body.rows), None
        reference, organization_id = body.reference, body.organization_id
    else:
        data, filename, reference, organization_id = _upload()
    organization = service.target_organization(db.session, user, organization_id)
    reference = service.require_reference(reference)
    config = current_app.config

    if config.get("REDIS_URL") and service.estimate_rows(data) > config["INTAKE_ASYNC_ROWS"]:
        existing = service.find_registered(db.session, organization.id, service.sha256_of(data))
        if existing is None:
            job = enqueue_registration(db.session, documents.storage(db.session, config), data,
                                       organization=organization, actor=user, reference=reference,
                                       filename=filename)
            links = {"job": f"/api/v1/jobs/{job.id}"}
            return JobAcceptedOut(job_id=job.id, status=job.state, links=links), 202

    registration = service.register_batch(
        db.session, organization=organization, actor=user, reference=reference, data=data,
        filename=filename, max_rows=config["INTAKE_MAX_ROWS"], max_bytes=config.get("MAX_CONTENT_LENGTH"),
    )
    return registration_out(registration), (201 if registration.created else 200)


def registration_out(registration: service.Registration) -> RegistrationOut:
    batch = registration.batch
    db.session.flush()
    # A batch registered just now has every device in 'registered': counting them again would be
    # an aggregate over every row this request has just written.
    counts = ({"registered": registration.rows} if registration.created
              else batches.state_counts(db.session, [batch.id])[batch.id])
    return RegistrationOut(
        batch=batch_out(batch, counts),
        created=registration.created,
        rows=registration.rows,
        media=registration.media,
        columns=registration.columns,
        row_results=service.row_results(db.session, batch),
        links={"self": f"/api/v1/batches/{batch.id}", "devices": f"/api/v1/batches/{batch.id}/devices"},
    )
