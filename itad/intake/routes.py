"""Registering a batch (POST /api/v1/batches): an asset list (CSV or XLSX upload, or JSON rows) becomes an open batch.

201 with the new batch and per-row results; 200 with the existing batch when the same list was
registered before for that client; 202 with a job when a long list goes to the background
(only with Redis configured); 422 with every problem; 413 past the size or row limit.
"""

from __future__ import annotations

from typing import Any, Literal

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


Confidentiality = Literal["low", "moderate", "high"]
CONFIDENTIALITY_HELP = ("the data's confidentiality before sanitization (FIPS 199 level), printed on the "
                        "certificate; omitted: 'not stated'")
BACKED_UP_HELP = "whether the data on the media was backed up before hand-over; omitted: 'not stated'"


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=120, description="the client's PO or ticket number")
    organization_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="operator admins: the client to register for; client users: omit (or their own)")
    rows: list[dict[str, Any]] = Field(
        min_length=1, description="one object per device; keys are read like a file's headers")
    confidentiality: Confidentiality | None = Field(None, description=CONFIDENTIALITY_HELP)
    data_backed_up: bool | None = Field(None, description=BACKED_UP_HELP)


class DataHandlingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidentiality: Confidentiality | None = Field(None, description=CONFIDENTIALITY_HELP)
    data_backed_up: bool | None = Field(None, description=BACKED_UP_HELP)


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


def _form_handling() -> dict:
    """confidentiality and data_backed_up from a multipart form ("" or absent: not stated)."""
    backed = (request.form.get("data_backed_up") or "").strip().lower()
    if backed not in ("", "true", "false", "yes", "no"):
        raise Invalid("data_backed_up is true or false, or not given.", code="validation_failed",
                      details=[{"field": "data_backed_up", "message": "not a boolean"}])
    return {"confidentiality": service.require_confidentiality((request.form.get("confidentiality") or "").strip()),
            "data_backed_up": None if not backed else backed in ("true", "yes")}


def _upload() -> tuple[bytes, str | None, str | None, int | None]:
    """(bytes, file name, reference, organization_id) from a multipart upload."""
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Send the asset list as a multipart field 'file', or JSON rows.",
                         code="file_required")
    raw_org = (request.form.get("organization_id") or "").strip()
    try:
        organization_id = int(raw_org) if raw_org else None
        if organization_id is not None and not 1 <= organization_id <= 2**31 - 1:
            raise ValueError
    except ValueError:
        raise Invalid("organization_id must be a number.", code="validation_failed",
                      details=[{"field": "organization_id", "message": "not an integer"}])
    return upload.read(), upload.filename or None, request.form.get("reference"), organization_id


@bp.post("/batches")
@operation(
    "Register a batch from an asset list (CSV/XLSX upload or JSON rows)",
    roles=("client", "admin"),
    body=RegisterIn,
    form={"file": "file!", "reference": "text!", "organization_id": "integer", "confidentiality": "text",
          "data_backed_up": "boolean"},
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
    handling = ({"confidentiality": body.confidentiality, "data_backed_up": body.data_backed_up}
                if body is not None else _form_handling())
    organization = service.target_organization(db.session, user, organization_id)
    reference = service.require_reference(reference)
    config = current_app.config

    if config.get("REDIS_URL") and service.estimate_rows(data) > config["INTAKE_ASYNC_ROWS"]:
        existing = service.find_registered(db.session, organization.id, service.sha256_of(data))
        if existing is None:
            job = enqueue_registration(db.session, documents.storage(db.session, config), data,
                                       organization=organization, actor=user, reference=reference,
                                       filename=filename, **handling)
            links = {"job": f"/api/v1/jobs/{job.id}"}
            return JobAcceptedOut(job_id=job.id, status=job.state, links=links), 202

    registration = service.register_batch(
        db.session, organization=organization, actor=user, reference=reference, data=data,
        filename=filename, max_rows=config["INTAKE_MAX_ROWS"], max_bytes=config.get("MAX_CONTENT_LENGTH"),
        **handling)
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


@bp.put("/batches/<int:batch_id>/data-handling")
@operation("State what the batch's media hold: confidentiality before sanitization and whether the data was backed "
           "up (printed on its certificates); while the batch is open", roles=("client", "admin"),
           body=DataHandlingIn, response=BatchOut, tags=("batches",), errors=(404, 409, 422))
def state_data_handling(batch_id: int, body: DataHandlingIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    service.state_data_handling(db.session, current_user(), batch, confidentiality=body.confidentiality,
                                data_backed_up=body.data_backed_up)
    return batch_out(batch, batches.state_counts(db.session, [batch.id])[batch.id])
