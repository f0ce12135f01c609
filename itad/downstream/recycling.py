"""The certificate of recycling of a batch: the material streams and weights that left us for downstream vendors,
each vendor with the certification it held on the shipping day, and the batch's mass balance; a PDF signed like the
certificate of sanitization (the operator's key, PAdES) and registered with it, so its number and verify URL
(/verify/COR-...) answer the same way. Issuing again supersedes, never overwrites."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from itad.certification import content, keys
from itad.certification.issuing import in_force, next_number, register
from itad.downstream import balance, pieces_text, reconcile_lots, shipments_of_batch
from itad.errors import Conflict
from itad.models import Batch, Certificate, CertificateRequest, Organization, User, utcnow
from itad.steps import custody

KIND = "recycle"
PREFIX = "COR"


def issue(session: Session, actor: User, batch: Batch, reason: str | None = None) -> Certificate:
    custody.lock_batch(session, batch.id)
    shipped = shipments_of_batch(session, batch.id)
    if not shipped:
        raise Conflict(f"Nothing of batch {batch.reference} has been shipped downstream yet: a certificate of "
                       "recycling states what was.", code="nothing_shipped", details={"needs": ["ship"]})
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
        "lots": [{"category": x.lot.category, "count": x.lot.received_count,
                  "weight_kg": str(x.lot.received_weight_kg) if x.lot.received_weight_kg is not None else None,
                  **({"wiped": x.pieces.wiped, "destroyed": x.pieces.destroyed, "reported_missing": x.pieces.missing,
                      "missing_reasons": list(x.pieces.reasons), "unaccounted": x.unaccounted,
                      "pieces": pieces_text(x.pieces)} if x.pieces else {})}
                 for x in reconcile_lots(session, batch.id)],
        "mass_balance_kg": {"in": str(mass.weight_in), "resold": str(mass.resold), "reused": str(mass.reused),
                            "recycled": str(mass.recycled), "in_stock": str(mass.in_stock),
                            "difference": str(mass.difference)},
        "verify_url": issuer.verify_url(number),     # the same base as the certificates of sanitization
    }
    from weasyprint import HTML

    html = render_template("downstream/recycling_certificate.html", d=document, mass=mass, issuer=issuer,
                           issued_at=issued_at)
    pdf, key = keys.sign(session, config, HTML(string=html).write_pdf(), reason="Certificate of Recycling issued",
                         field_name="CertificateSignature", what="the certificate of recycling")
    request = CertificateRequest(kind=KIND, batch_id=batch.id, organization_id=batch.organization_id, number=number,
                                 reason=reason, requested_by_id=actor.id)
    session.add(request)
    session.flush()
    return register(session, request, pdf, document, {"shipments": len(lines), "recycled_kg": str(mass.recycled),
                                                      "reused_kg": str(mass.reused)}, key, previous, actor, issued_at)
