"""The certificate of recycling of a batch: the material streams and weights that left us for downstream vendors,
each vendor with the certification it held on the shipping day, and the batch's mass balance; a PDF signed like the
certificate of sanitization (the operator's key, PAdES) and registered with it, so its number and verify URL
(/verify/COR-...) answer the same way. Issuing again supersedes, never overwrites."""

from __future__ import annotations

import json

from flask import current_app, render_template
from sqlalchemy.orm import Session

import certificates
from itad import documents
from itad.certification import content, keys
from itad.certification.issuing import in_force, next_number
from itad.downstream import balance, lots_of, shipments_of_batch
from itad.errors import Conflict
from itad.models import (
    Batch, Certificate, CertificateRequest, CertificateStatus, Organization, User, utcnow,
)
from itad.steps import custody

KIND = "recycle"
PREFIX = "COR"


def issue(session: Session, actor: User, batch: Batch, reason: str | None = None) -> Certificate:
    custody.lock_batch(session, batch.id)
    shipped = shipments_of_batch(session, batch.id)
    if not shipped:
        raise Conflict(f"Nothing of batch {batch.reference} has been shipped downstream yet: a certificate of "
                       "recycling states what was.", code="nothing_shipped", details={"needs": ["ship"]})
    key = keys.active_key(session)
    if key is None:
        raise Conflict("No signing key is active; run 'itad keys init'.", code="no_signing_key",
                       details={"needs": ["set up a signing key"]})
    config = current_app.config
    previous = in_force(session, KIND, batch.id, None)
    number = next_number(session, prefix=PREFIX)
    issued_at = utcnow().replace(microsecond=0)
    mass = balance.of_batch(session, batch)
    issuer = content.issuer_from(session, config)
    lines = [{"stream": s.stream, "purpose": s.purpose, "weight_kg": str(a.weight_kg),
              "shipped_on": s.shipped_on.isoformat(), "reference": s.reference, "vendor": v.name,
              "vendor_address": v.address, "certification": c.standard, "certificate_number": c.certificate_number,
              "certification_expires_on": c.expires_on.isoformat()} for a, s, v, c in shipped]
    document = {
        "number": number, "kind": "certificate_of_recycling", "batch": batch.reference,
        "client": session.get(Organization, batch.organization_id).name, "issued_at": issued_at.isoformat(),
        "supersedes": previous.number if previous else None, "shipments": lines,
        "lots": [{"category": lot.category, "count": lot.received_count,
                  "weight_kg": str(lot.received_weight_kg) if lot.received_weight_kg is not None else None}
                 for lot in lots_of(session, batch.id)],
        "mass_balance_kg": {"in": str(mass.weight_in), "resold": str(mass.resold), "reused": str(mass.reused),
                            "recycled": str(mass.recycled), "in_stock": str(mass.in_stock),
                            "difference": str(mass.difference)},
        "verify_url": issuer.verify_url(number),     # the same base as the certificates of sanitization
    }
    from weasyprint import HTML

    html = render_template("downstream/recycling_certificate.html", d=document, mass=mass, issuer=issuer)
    pdf = certificates.sign_pdf(HTML(string=html).write_pdf(), key.key_encrypted, key.cert_pem.encode(),
                                keys.passphrase_from(config), reason="Certificate of Recycling issued",
                                timestamping=keys.timestamping(config))
    store = documents.storage(session, config)
    pdf_key = store.put(pdf)
    json_key = store.put(json.dumps({**document, "pdf_sha256": pdf_key}, indent=2, ensure_ascii=False).encode())
    request = CertificateRequest(kind=KIND, batch_id=batch.id, organization_id=batch.organization_id, number=number,
                                 reason=reason, requested_by_id=actor.id)
    session.add(request)
    session.flush()
    cert = Certificate(number=number, kind=KIND, batch_id=batch.id, organization_id=batch.organization_id,
                       status=CertificateStatus.issued.value, request_id=request.id,
                       supersedes_id=previous.id if previous else None, sha256=pdf_key, size_bytes=len(pdf),
                       json_sha256=json_key, signing_key_id=key.id, issued_at=issued_at, issued_by_id=actor.id,
                       summary={"shipments": len(lines), "recycled_kg": str(mass.recycled), "reused_kg": str(mass.reused)})
    session.add(cert)
    session.flush()
    if previous is not None:
        previous.status, previous.superseded_by_id = CertificateStatus.superseded.value, cert.id
    custody.append(session, batch.id, device_id=None, actor=actor,
                   action="certificate_reissued" if previous else "certificate_issued",
                   evidence={"number": number, "kind": KIND, "sha256": pdf_key,
                             "supersedes": previous.number if previous else None, "reason": reason})
    session.flush()
    return cert
