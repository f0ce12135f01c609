"""The pickup manifest (bill of lading): what left the client's site in which sealed containers, signed by the
client's representative and the driver (their names and times, as recorded at the handoff), then signed with the
operator's certificate key (PAdES, like a certificate of sanitization: any PDF reader and pdfsig verify it)."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from itad.certification import keys
from itad.models import Batch, Organization, Pickup, PickupContainer


def render(session: Session, pickup: Pickup, containers: list[PickupContainer], batches: list[Batch]) -> bytes:
    from weasyprint import HTML

    from itad import downstream

    # What the site declared of what is counted or weighed rather than scanned: the dock reconciles against it.
    lots = [(b, lot) for b in batches for lot in downstream.lots_of(session, b.id)
            if lot.declared_count is not None or lot.declared_weight_kg is not None]
    html = render_template("pickups/manifest.html", p=pickup, containers=containers, batches=batches, lots=lots,
                           client=session.get(Organization, pickup.organization_id),
                           pieces=sum(c.pieces for c in containers), weight=sum(c.weight_kg for c in containers))
    return HTML(string=html).write_pdf()


def signed_manifest(session: Session, pickup: Pickup, containers: list[PickupContainer], batches: list[Batch]) -> bytes:
    pdf, _ = keys.sign(session, current_app.config, render(session, pickup, containers, batches),
                       reason=f"Pickup manifest PU-{pickup.id}", field_name="ManifestSignature",
                       what="the bill of lading")
    return pdf
