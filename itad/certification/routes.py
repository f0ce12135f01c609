"""Certificates of sanitization: download (owner and operator), issue and revoke (operator),
public verification and the signing certificates the operator publishes."""

from __future__ import annotations

from datetime import datetime

from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field

from itad import batches
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import Out
from itad.auth.access import get_visible
from itad.certification import issuing, keys, verifying
from itad.errors import BadRequest, Conflict, NotFound
from itad.models import Certificate, db

ADMIN = ("admin",)
TAGS = ("certificates",)


class CertificateOut(Out):
    id: int
    number: str
    kind: str
    batch_id: int
    device_id: int | None
    organization_id: int
    status: str
    sha256: str
    size_bytes: int
    json_sha256: str
    signing_key_id: int
    summary: dict
    issued_at: datetime
    issued_by_id: int | None
    supersedes_id: int | None
    superseded_by_id: int | None
    revoked_at: datetime | None
    revoked_reason: str | None
    verify_url: str = ""
    links: dict[str, str] = {}


class CertificateList(Out):
    items: list[CertificateOut]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500, description="why (re-)issued, e.g. the correction made")


class IssueOut(BaseModel):
    request_id: int | None = Field(description="null when a client asked for a certificate already in force")
    number: str
    kind: str
    job_id: int | None
    supersedes: str | None
    certificate_id: int | None = Field(None, description="the certificate in force, when there is one already")
    links: dict[str, str]


class DeviceCertificatesOut(BaseModel):
    devices: int = Field(description="settled devices that get a certificate now (0: every one has its own)")
    job_id: int | None
    links: dict[str, str]


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=500, pattern=r"\S")


class PublicCertificateOut(BaseModel):
    number: str
    kind: str
    status: str
    issued_at: str | None
    sha256: str
    supersedes: str | None
    superseded_by: str | None
    revoked_at: str | None
    revoked_reason: str | None
    devices: int | None


class VerifyOut(BaseModel):
    genuine: bool
    verdict: str
    message: str
    reason: str | None
    document_sha256: str
    signer_subject: str | None
    signer_cert_sha256: str | None
    signed_at: str | None
    claimed_number: str | None
    certificate: PublicCertificateOut | None


class SigningKeyOut(BaseModel):
    id: int
    fingerprint_sha256: str
    subject: str
    source: str
    active: bool
    created_at: str | None
    retired_at: str | None
    not_valid_after: str | None
    cert_pem: str


class SigningKeyList(BaseModel):
    items: list[SigningKeyOut]


def certificate_out(cert: Certificate) -> CertificateOut:
    from flask import current_app

    out = CertificateOut.model_validate(cert)
    out.verify_url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{cert.number}"
    base = f"/api/v1/certificates/{cert.id}"
    out.links = {"self": base, "pdf": f"{base}/pdf", "json": f"{base}/json",
                 "verify": f"/api/v1/verify/{cert.number}"}
    return out


def _certificate(certificate_id: int) -> Certificate:
    return get_visible(db.session, Certificate, certificate_id, current_user(), "certificate")


def _accepted(req) -> IssueOut:
    previous = issuing.in_force(db.session, req.kind, req.batch_id, req.device_id)
    return IssueOut(request_id=req.id, number=req.number, kind=req.kind, job_id=req.job_id,
                    supersedes=previous.number if previous else None,
                    links={"job": f"/api/v1/jobs/{req.job_id}", "verify": f"/api/v1/verify/{req.number}"})


@bp.get("/certificates/<int:certificate_id>")
@operation("A certificate's metadata: number, status, SHA-256, what supersedes it", response=CertificateOut,
           tags=TAGS, errors=(404,))
def get_certificate(certificate_id: int):
    return certificate_out(_certificate(certificate_id))


@bp.get("/certificates/<int:certificate_id>/pdf")
@operation("The signed certificate PDF", tags=TAGS, errors=(404,), produces="application/pdf")
def certificate_pdf(certificate_id: int):
    cert = _certificate(certificate_id)
    return Response(issuing.read_pdf(cert), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{cert.number}.pdf"', "ETag": f'"{cert.sha256}"'})


@bp.get("/certificates/<int:certificate_id>/json")
@operation("The machine-readable certificate (same content as the PDF)", tags=TAGS, errors=(404,))
def certificate_json(certificate_id: int):
    cert = _certificate(certificate_id)
    return Response(issuing.read_json(cert), mimetype="application/json", headers={"ETag": f'"{cert.json_sha256}"'})


@bp.get("/batches/<int:batch_id>/certificates")
@operation("A batch's certificates (batch and device), newest first", response=CertificateList, tags=TAGS,
           errors=(404,))
def batch_certificates(batch_id: int):
    rows = issuing.batch_certificates(db.session, current_user(), batch_id)
    return CertificateList(items=[certificate_out(c) for c in rows])


@bp.post("/batches/<int:batch_id>/certificates")
@operation("Issue (or re-issue, superseding) the batch certificate; rendered by a job", roles=ADMIN,
           body=IssueIn, response=IssueOut, status=202, tags=TAGS, errors=(403, 404, 409))
def issue_batch_certificate(batch_id: int, body: IssueIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return _accepted(issuing.request_certificate(db.session, current_user(), batch=batch, reason=body.reason))


@bp.post("/devices/<int:device_id>/certificates")
@operation("Issue a per-device certificate, rendered and signed by a job. Operators re-issue (superseding); a "
           "client asking for one already in force gets that one (200)", roles=OPERATOR_ROLES + ("client",),
           body=IssueIn, response=IssueOut, status=202, tags=TAGS, errors=(403, 404, 409))
def issue_device_certificate(device_id: int, body: IssueIn):
    user = current_user()
    device = batches.get_device(db.session, user, device_id)
    current = issuing.in_force(db.session, "device", device.batch_id, device.id)
    if user.role == "client" and current is not None:
        return IssueOut(request_id=None, number=current.number, kind="device", job_id=None, supersedes=None,
                        certificate_id=current.id,
                        links={"certificate": f"/api/v1/certificates/{current.id}",
                               "pdf": f"/api/v1/certificates/{current.id}/pdf",
                               "verify": f"/api/v1/verify/{current.number}"}), 200
    return _accepted(issuing.request_certificate(db.session, user, device=device, reason=body.reason))


@bp.post("/batches/<int:batch_id>/device-certificates")
@operation("Issue a certificate for every settled device of the batch that has none in force (one job); then "
           "download them all as a ZIP", roles=OPERATOR_ROLES + ("client",), response=DeviceCertificatesOut,
           status=202, tags=TAGS, errors=(403, 404, 409))
def issue_batch_device_certificates(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    count = len(issuing.devices_without_certificate(db.session, batch.id))
    queued = issuing.request_device_certificates(db.session, current_user(), batch)
    links = {"zip": f"/api/v1/batches/{batch.id}/device-certificates.zip"}
    if queued is None:
        return DeviceCertificatesOut(devices=0, job_id=None, links=links), 200
    return DeviceCertificatesOut(devices=count, job_id=queued.id, links={**links, "job": f"/api/v1/jobs/{queued.id}"})


@bp.get("/batches/<int:batch_id>/device-certificates.zip")
@operation("Every device certificate in force of the batch, each signed PDF with its JSON, and an index.csv",
           tags=TAGS, errors=(404, 409), produces="application/zip")
def batch_device_certificates_zip(batch_id: int):
    data, count, missing = issuing.device_certificates_zip(db.session, current_user(), batch_id)
    if count == 0:
        raise Conflict(f"Batch {batch_id} has no device certificate yet"
                       + (f"; {missing} settled device(s) can have one: POST "
                          f"/api/v1/batches/{batch_id}/device-certificates." if missing else "."),
                       code="no_device_certificates", details={"missing": missing, "needs": ["issue them"]})
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="batch-{batch_id}-device-certificates.zip"',
        "X-Certificates": str(count), "X-Devices-Without-Certificate": str(missing)})


@bp.post("/certificates/<int:certificate_id>/revoke")
@operation("Revoke a certificate, with the reason shown on the verify page", roles=ADMIN, body=RevokeIn,
           response=CertificateOut, tags=TAGS, errors=(403, 404, 409))
def revoke_certificate(certificate_id: int, body: RevokeIn):
    cert = get_visible(db.session, Certificate, certificate_id, current_user(), "certificate")
    return certificate_out(issuing.revoke(db.session, current_user(), cert, body.reason))


@bp.get("/verify/<number>")
@operation("Public: the status of a certificate by its number", roles=None, response=PublicCertificateOut,
           tags=TAGS, errors=(404,))
def verify_number(number: str):
    cert = verifying.by_number(db.session, number)
    if cert is None:
        raise NotFound("No certificate with this number.", code="unknown_certificate")
    return verifying.public_status(db.session, cert)


@bp.post("/verify")
@operation("Public: is this PDF a genuine, unaltered certificate of ours, and which one?", roles=None,
           response=VerifyOut, form={"file": "file"}, tags=TAGS)
def verify_upload():
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("Send the certificate PDF as the 'file' form field.", code="no_file")
    return verifying.verify_upload(db.session, upload.read())


@bp.get("/signing-keys")
@operation("Public: the signing certificates (PEM) our certificates are signed with, retired ones included",
           roles=None, response=SigningKeyList, tags=TAGS)
def signing_keys():
    return SigningKeyList(items=[SigningKeyOut(**keys.describe(k)) for k in keys.all_keys(db.session)])
