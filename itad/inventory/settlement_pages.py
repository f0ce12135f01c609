"""The client's resale settlement in the portal: every batch that sold something with what the client
is owed, and one batch's statement (the units sold, the totals) with its CSV and PDF.

A client reads its own organization only; an admin picks the client. A batch of another client is the
same 404 page as a missing one (itad.batches.get_batch). The figures are itad.inventory.settlement's.
"""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from itad import accounts, batches
from itad.errors import Conflict, NotFound
from itad.inventory import settlement, statements
from itad.inventory import quotes
from itad.inventory.money import fmt
from itad.models import Organization, db
from itad.web import ADMIN, CLIENT, bp, download, roles


def _client() -> Organization | None:
    """Whose settlement: the client's own organization; for an admin, the one chosen (or none yet)."""
    if current_user.role == CLIENT:
        return current_user.organization
    org_id = request.args.get("client", type=int)
    if org_id is None:
        return None
    org = db.session.get(Organization, org_id)
    if org is None or org.is_operator:
        raise NotFound(f"No client organization with id {org_id}.")
    return org


@bp.get("/settlement")
@roles(CLIENT, ADMIN)
def settlement_overview():
    org = _client()
    overview, refusal = None, None
    if org is not None:
        try:
            overview = settlement.client_overview(db.session, org)
        except Conflict as exc:  # no share agreed yet: the page says so, nothing is assumed
            refusal = exc
    clients = accounts.client_organizations(db.session) if current_user.role == ADMIN else []
    return render_template("portal/settlement.html", org=org, overview=overview, refusal=refusal, clients=clients,
                           fmt=fmt)


def _batch_settlement(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    return batch, settlement.settle_batch(db.session, batch)


@bp.get("/batches/<int:batch_id>/settlement")
@roles(CLIENT, ADMIN)
def batch_settlement(batch_id: int):
    batch = batches.get_batch(db.session, current_user, batch_id)
    try:
        statement, refusal = settlement.settle_batch(db.session, batch), None
    except Conflict as exc:
        statement, refusal = None, exc
    return render_template("portal/batch_settlement.html", batch=batch, s=statement, refusal=refusal, fmt=fmt,
                           accuracy=quotes.accuracy(db.session, batch_id=batch.id))


@bp.get("/batches/<int:batch_id>/settlement.csv")
@roles(CLIENT, ADMIN)
def batch_settlement_csv(batch_id: int):
    _, s = _batch_settlement(batch_id)
    return download(statements.settlement_csv(s), "text/csv", f"settlement-batch-{s.batch_id}.csv")


@bp.get("/batches/<int:batch_id>/settlement.pdf")
@roles(CLIENT, ADMIN)
def batch_settlement_pdf(batch_id: int):
    _, s = _batch_settlement(batch_id)
    return download(statements.settlement_pdf(s), "application/pdf", f"settlement-batch-{s.batch_id}.pdf")
