"""Issuing, re-issuing and revoking certificates.

Issuing is two steps. `request_certificate` (in the request or the batch close) checks that a
certificate can be issued, takes a number and enqueues the job; `issue_certificate` (the job)
renders, signs, stores and records it. The certificate row is unique per request, and the job
looks for it before working, under the batch lock: run twice, it gives one certificate.

A re-issue is a new request: the new certificate supersedes the one in force (which is marked, and
points to its successor); nothing is overwritten. A revocation records who, when and why, and takes
the units it covered out of sellable stock.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Callable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

import certificates
from itad import audit_log, batches, documents, notifications, spreadsheets
from itad.certification import content, keys
from itad.errors import Conflict, Invalid, NotFound
from itad.jobs import JobContext, enqueue, job
from itad.models import (
    Batch, Certificate, CertificateCounter, CertificateRequest, CertificateStatus, Device, User, db, utcnow,
)
from itad.inventory.stock import withdraw_from_stock
from itad.steps import custody

log = logging.getLogger(__name__)

NUMBER_PREFIX = "COS"
# A device certificate speaks for a unit whose data is dealt with for good.
CERTIFIABLE_DEVICE_STATES = frozenset({"cleared", "destroyed", "in_inventory", "sold"})
# Revoking takes these units out of sellable stock (itad.inventory decides what that means).
IN_STOCK_STATES = ("cleared", "in_inventory")
ProgressFn = Callable[[int, "int | None"], None]


def next_number(session: Session, year: int | None = None, prefix: str = NUMBER_PREFIX) -> str:
    """COS-<year>-<000123>: per-year counter under a row lock, so unique and never reused (a certificate of
    recycling takes its number from the same counter, with its own prefix)."""
    year = year or utcnow().year
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(CertificateCounter).values(year=year, last=0)
                    .on_conflict_do_nothing(index_elements=["year"]))
    last = session.execute(
        sa.update(CertificateCounter).where(CertificateCounter.year == year)
        .values(last=CertificateCounter.last + 1).returning(CertificateCounter.last)
    ).scalar_one()
    return f"{prefix}-{year}-{last:06d}"


def in_force(session: Session, kind: str, batch_id: int, device_id: int | None) -> Certificate | None:
    """The issued (not superseded, not revoked) certificate for this batch or device, if any."""
    stmt = sa.select(Certificate).where(Certificate.kind == kind, Certificate.batch_id == batch_id,
                                        Certificate.status == CertificateStatus.issued.value)
    stmt = stmt.where(Certificate.device_id.is_(None) if device_id is None else Certificate.device_id == device_id)
    return session.scalars(stmt.order_by(Certificate.id.desc()).limit(1)).first()


def signing_ready(session: Session) -> bool:
    """A passphrase is configured and a key is active: certificates can be issued."""
    return bool(current_app.config.get("SIGNING_KEY_PASSPHRASE")) and keys.active_key(session) is not None


def _ready_to_sign(session: Session) -> None:
    keys.passphrase_from(current_app.config)
    if keys.active_key(session) is None:
        raise Conflict("No signing key: an admin must run 'itad keys init' (or 'itad keys import') first.",
                       code="no_signing_key")


def request_certificate(session: Session, actor: User | None, *, batch: Batch | None = None,
                        device: Device | None = None, reason: str | None = None,
                        send_job: bool = True) -> CertificateRequest:
    """Ask for a batch certificate (batch closed) or a device certificate (unit settled), and send the
    job that issues it after commit. Re-asking is a re-issue: the new one supersedes the old.
    send_job=False: the caller runs `issue` itself (the CLI, to show a progress bar)."""
    if (batch is None) == (device is None):
        raise ValueError("give a batch or a device")
    if batch is not None:
        if batch.status != "closed":
            raise Conflict(f"Batch {batch.id} is {batch.status}; a batch certificate is issued when it closes.",
                           code="batch_not_closed", details={"state": batch.status, "needs": ["close the batch"]})
        kind, batch_id, device_id, org_id = "batch", batch.id, None, batch.organization_id
    else:
        if device.state not in CERTIFIABLE_DEVICE_STATES:
            raise Conflict(f"Device {device.id} is {device.state}; a device certificate needs it "
                           f"{', '.join(sorted(CERTIFIABLE_DEVICE_STATES))}.", code="device_not_settled",
                           details={"state": device.state, "needs": ["clear or destroy the device"]})
        kind, batch_id, device_id, org_id = "device", device.batch_id, device.id, device.organization_id
    _ready_to_sign(session)
    request = CertificateRequest(kind=kind, batch_id=batch_id, device_id=device_id, organization_id=org_id,
                                 number=next_number(session), reason=(reason or "").strip()[:500] or None,
                                 requested_by_id=actor.id if actor else None)
    session.add(request)
    session.flush()
    if not send_job:
        return request
    # The client may watch its own certificate being made: the job belongs to its organization.
    queued = enqueue(session, issue_certificate, organization_id=org_id,
                     created_by_id=actor.id if actor else None, request_id=request.id)
    request.job_id = queued.id
    session.flush()
    return request


def certificate_for_request(session: Session, request_id: int) -> Certificate | None:
    return session.scalars(sa.select(Certificate).where(Certificate.request_id == request_id)).first()


@job("certificates")
def issue_certificate(ctx: JobContext, request_id: int) -> dict:
    """The issuing job: safe to run twice (the second run finds the certificate and stops)."""
    cert = issue(ctx.session, request_id, progress=ctx.progress)
    return {"certificate_id": cert.id, "number": cert.number, "sha256": cert.sha256,
            "links": {"certificate": f"/api/v1/certificates/{cert.id}",
                      "pdf": f"/api/v1/certificates/{cert.id}/pdf"}}


def issue(session: Session, request_id: int, *, progress: ProgressFn | None = None) -> Certificate:
    """Render, sign, store and record the certificate a request asks for. Adds and flushes only."""
    report = progress or (lambda done, total=None: None)
    request = session.get(CertificateRequest, request_id)
    if request is None:
        raise NotFound(f"No certificate request with id {request_id}.")
    done = certificate_for_request(session, request_id)
    if done is not None:
        return done
    # One issuer per batch at a time: supersession and the custody chain need a stable view.
    custody.lock_batch(session, request.batch_id)
    done = certificate_for_request(session, request_id)
    if done is not None:
        return done
    config = current_app.config
    key = keys.active_key(session)
    if key is None:
        raise Conflict("No signing key is active; run 'itad keys init'.", code="no_signing_key")
    passphrase = keys.passphrase_from(config)
    issuer_user = session.get(User, request.requested_by_id) if request.requested_by_id else None
    previous = in_force(session, request.kind, request.batch_id, request.device_id)
    issued_at = utcnow().replace(microsecond=0)
    report(0, 3)
    issuer = content.issuer_from(session, config)
    build = content.certificate_data_for_batch if request.kind == "batch" else content.certificate_data_for_device
    subject_id = request.batch_id if request.kind == "batch" else request.device_id
    data = build(session, subject_id, request.number, issuer, issued_at=issued_at,
                 supersedes=previous.number if previous else None, issued_by=issuer_user)
    report(1, 3)
    pdf = certificates.issue_pdf(data, key.key_encrypted, key.cert_pem.encode(), passphrase,
                                 timestamping=keys.timestamping(config))
    report(2, 3)
    cert = _record(session, request, data, pdf, key, previous, issuer_user, issued_at)
    report(3, 3)
    return cert


def _record(session: Session, request: CertificateRequest, data, pdf: bytes, key, previous: Certificate | None,
            issuer_user: User | None, issued_at) -> Certificate:
    """Register the certificate of sanitization (register), log it, and tell the client of a batch's."""
    s = data.summary
    cert = register(session, request, pdf, certificates.to_json(data), {
        "total": s.total, "sanitized": s.sanitized, "destroyed": s.destroyed, "failed": s.failed,
        "missing": s.missing, "unexpected": s.unexpected, "media": len(data.lines)}, key, previous, issuer_user,
        issued_at)
    log.info("certificate %s issued (%s, batch %s, %d bytes)", cert.number, cert.kind, cert.batch_id, len(pdf))
    if cert.kind == "batch":        # a batch's hundreds of device certificates would be as many messages
        notifications.notify(session, cert.organization_id, "certificate_issued",
                             {"number": cert.number, "kind": cert.kind, "batch_id": cert.batch_id,
                              "sha256": cert.sha256, "supersedes": previous.number if previous else None})
    return cert


def register(session: Session, request: CertificateRequest, pdf: bytes, document: dict, summary: dict, key,
             previous: Certificate | None, issuer_user: User | None, issued_at) -> Certificate:
    """Store a signed certificate PDF and its JSON (`document`, with the PDF's SHA-256 added), record the certificate,
    supersede the one in force, and say so on the custody chain: for every kind (sanitization, recycling). The
    caller holds the batch lock."""
    store = documents.storage(session, current_app.config)
    pdf_key = store.put(pdf)
    json_key = store.put(json.dumps({**document, "pdf_sha256": pdf_key}, indent=2, ensure_ascii=False).encode())
    cert = Certificate(
        number=request.number, kind=request.kind, batch_id=request.batch_id, device_id=request.device_id,
        organization_id=request.organization_id, status=CertificateStatus.issued.value, request_id=request.id,
        supersedes_id=previous.id if previous else None, sha256=pdf_key, size_bytes=len(pdf),
        json_sha256=json_key, signing_key_id=key.id, issued_at=issued_at, issued_by_id=request.requested_by_id,
        summary=summary,
    )
    session.add(cert)
    session.flush()
    if previous is not None:
        previous.status, previous.superseded_by_id = CertificateStatus.superseded.value, cert.id
    custody.append(session, request.batch_id, device_id=request.device_id, actor=issuer_user,
                   action="certificate_reissued" if previous else "certificate_issued",
                   evidence={"number": cert.number, "kind": cert.kind, "sha256": cert.sha256,
                             "supersedes": previous.number if previous else None, "reason": request.reason})
    session.flush()
    return cert


# ---------------------------------------------------------------- every device of a batch, and the ZIP

DEVICE_CHUNK = 200      # rendered and signed together in the worker pool, then recorded


def devices_without_certificate(session: Session, batch_id: int) -> list[int]:
    """The batch's settled devices that no device certificate in force speaks for, in id order."""
    covered = sa.select(Certificate.device_id).where(
        Certificate.batch_id == batch_id, Certificate.kind == "device",
        Certificate.status == CertificateStatus.issued.value, Certificate.device_id.is_not(None))
    return list(session.scalars(sa.select(Device.id).where(
        Device.batch_id == batch_id, Device.state.in_(CERTIFIABLE_DEVICE_STATES), Device.id.not_in(covered))
        .order_by(Device.id)))


def request_device_certificates(session: Session, actor: User, batch: Batch):
    """Ask for a certificate for every settled device of the batch that has none in force (one job renders and
    signs them all); None when every one has its certificate already."""
    if not devices_without_certificate(session, batch.id):
        return None
    _ready_to_sign(session)
    return enqueue(session, issue_device_certificates, organization_id=batch.organization_id,
                   created_by_id=actor.id, batch_id=batch.id, requested_by_id=actor.id)


@job("certificates")
def issue_device_certificates(ctx: JobContext, batch_id: int, requested_by_id: int | None = None) -> dict:
    """Safe to run twice: a device whose certificate is in force (from a first run) is skipped."""
    session = ctx.session
    custody.lock_batch(session, batch_id)
    todo = devices_without_certificate(session, batch_id)
    key = keys.active_key(session)
    if key is None:
        raise Conflict("No signing key is active; run 'itad keys init'.", code="no_signing_key")
    passphrase = keys.passphrase_from(current_app.config)
    actor = session.get(User, requested_by_id) if requested_by_id else None
    org_id = session.scalar(sa.select(Batch.organization_id).where(Batch.id == batch_id))
    issuer = content.issuer_from(session, current_app.config)
    issued_at = utcnow().replace(microsecond=0)
    for start in range(0, len(todo), DEVICE_CHUNK):
        ctx.progress(start, len(todo))
        chunk = todo[start:start + DEVICE_CHUNK]
        requests = {d: CertificateRequest(kind="device", batch_id=batch_id, device_id=d, organization_id=org_id,
                                          number=next_number(session), requested_by_id=requested_by_id)
                    for d in chunk}
        session.add_all(requests.values())
        session.flush()
        datas = content.certificate_data_for_devices(
            session, batch_id, {d: (r.number, None) for d, r in requests.items()}, issuer,
            issued_at=issued_at, issued_by=actor)
        pdfs = certificates.issue_device_pdfs(datas, key.key_encrypted, key.cert_pem.encode(), passphrase,
                                              timestamping=keys.timestamping(current_app.config))
        for device_id, data, pdf in zip(sorted(requests), datas, pdfs):
            _record(session, requests[device_id], data, pdf, key, None, actor, issued_at)
    ctx.progress(len(todo), len(todo))
    return {"issued": len(todo), "links": {"zip": f"/api/v1/batches/{batch_id}/device-certificates.zip"}}


def device_certificates_zip(session: Session, user, batch_id: int) -> tuple[bytes, int, int]:
    """(the ZIP, certificates in it, settled devices still without one) for the batch's device certificates in
    force: each signed PDF and its JSON, named by number and device serial, with an index (CSV) of them."""
    batch = batches.get_batch(session, user, batch_id)
    rows = session.execute(
        sa.select(Certificate, Device.serial).join(Device, Device.id == Certificate.device_id)
        .where(Certificate.batch_id == batch.id, Certificate.kind == "device",
               Certificate.status == CertificateStatus.issued.value).order_by(Device.id)).all()
    store = documents.storage(session, current_app.config)
    buffer = io.BytesIO()
    index = io.StringIO()
    writer = spreadsheets.writer(index)
    writer.writerow(["number", "device_serial", "pdf", "json", "pdf_sha256", "issued_at"])
    # PDFs are compressed already: stored as they are, so each file in the ZIP is byte for byte the signed one.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert, serial in rows:
            name = f"{cert.number}_{_safe(serial)}"
            archive.writestr(f"{name}.pdf", store.get(cert.sha256))
            archive.writestr(f"{name}.json", store.get(cert.json_sha256))
            writer.writerow([cert.number, serial, f"{name}.pdf", f"{name}.json", cert.sha256,
                             cert.issued_at.isoformat()])
        archive.writestr("index.csv", index.getvalue())
    return buffer.getvalue(), len(rows), len(devices_without_certificate(session, batch.id))


def _safe(serial: str) -> str:
    """A serial as a file name: letters, digits, dot, dash and underscore; anything else becomes '_'."""
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in serial)[:120] or "device"


def revoke(session: Session, actor: User, cert: Certificate, reason: str) -> Certificate:
    """Revoke with a reason people can read on the verify page; units it covered leave sellable stock."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say why the certificate is revoked.", code="reason_required")
    custody.lock_batch(session, cert.batch_id)
    session.refresh(cert)
    if cert.status == CertificateStatus.revoked.value:
        raise Conflict(f"Certificate {cert.number} was revoked already.", code="already_revoked",
                       details={"state": cert.status})
    cert.status = CertificateStatus.revoked.value
    cert.revoked_at, cert.revoked_reason, cert.revoked_by_id = utcnow(), reason[:500], actor.id
    notifications.notify(session, cert.organization_id, "certificate_revoked",
                         {"number": cert.number, "kind": cert.kind, "batch_id": cert.batch_id, "reason": reason[:500]})
    audit_log.record(session, "certificate_revoked", organization_id=cert.organization_id, actor=actor,
                     subject=f"certificate {cert.number}", before={"status": "issued"},
                     after={"status": "revoked", "reason": reason[:500]})
    custody.append(session, cert.batch_id, device_id=cert.device_id, actor=actor, action="certificate_revoked",
                   evidence={"number": cert.number, "reason": reason[:500]})
    session.flush()
    if cert.kind != "recycle":      # a certificate of recycling vouches for no unit in stock
        withdraw_covered_units(session, cert, reason, actor)
    return cert


def covered_units_in_stock(session: Session, cert: Certificate) -> list[int]:
    """The devices a certificate covers that are cleared or in stock: what revoking it withdraws."""
    stmt = sa.select(Device.id).where(Device.state.in_(IN_STOCK_STATES))
    stmt = stmt.where(Device.id == cert.device_id) if cert.device_id else stmt.where(Device.batch_id == cert.batch_id)
    return list(session.scalars(stmt.order_by(Device.id)))


def withdraw_covered_units(session: Session, cert: Certificate, reason: str, actor: User) -> int:
    """INVENTORY CALL POINT: a revoked certificate no longer vouches for its units, so they must not
    be sold (itad.inventory.stock.withdraw_from_stock)."""
    ids = covered_units_in_stock(session, cert)
    for device_id in ids:
        withdraw_from_stock(session, device_id, f"certificate {cert.number} revoked: {reason}", actor)
    return len(ids)


def batch_certificates(session: Session, user, batch_id: int) -> list[Certificate]:
    """A batch's certificates (batch and device), newest first, through the tenant rule."""
    batch = batches.get_batch(session, user, batch_id)
    return session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch.id)
                           .order_by(Certificate.id.desc())).all()


def read_pdf(cert: Certificate) -> bytes:
    return documents.storage(db.session, current_app.config).get(cert.sha256)


def read_json(cert: Certificate) -> bytes:
    return documents.storage(db.session, current_app.config).get(cert.json_sha256)



def reissue(session: Session, actor: User, cert: Certificate, reason: str | None) -> CertificateRequest:
    """Issue the same kind of certificate again for what `cert` covered; the new one supersedes the one
    in force (which may be `cert` or a later re-issue). A revoked certificate can be replaced this way."""
    if cert.kind == "batch":
        return request_certificate(session, actor, batch=session.get(Batch, cert.batch_id), reason=reason)
    return request_certificate(session, actor, device=session.get(Device, cert.device_id), reason=reason)
