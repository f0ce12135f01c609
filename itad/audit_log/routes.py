"""The operator's audit log over the API: admins read, export and check all of it; a client reads and exports the
events about its own organization (its policy, its terms, its users and tokens, its certificates and batches)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, stream_with_context
from pydantic import BaseModel

from itad import audit_log
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.api.schemas import Out, PageQuery
from itad.models import AuditEvent, db
from itad.pagination import page


class AuditEventOut(Out):
    id: int
    seq: int
    organization_id: int | None
    actor_id: int | None
    actor_label: str
    action: str
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    address: str
    created_at: datetime
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: int | None


class AuditVerifyOut(BaseModel):
    ok: bool
    events: int
    first_bad_seq: int | None
    reason: str | None


def _scope() -> int | None:
    user = current_user()
    return None if user.role == "admin" else user.organization_id


@bp.get("/audit-log")
@operation("The operator's audit log, newest first (a client: the events about its organization)",
           roles=("admin", "client"), query=PageQuery, response=AuditPage, tags=("audit",), errors=(403,))
def audit_log_page(query: PageQuery):
    rows, nxt = page(db.session, audit_log.query(_scope()), AuditEvent.id, query.limit, query.cursor,
                     newest_first=True)
    return AuditPage(items=[AuditEventOut.model_validate(e) for e in rows], next_cursor=nxt)


@bp.get("/audit-log.jsonl")
@operation("The audit log exactly as hashed, one event per line, in order (a client: its organization's events)",
           roles=("admin", "client"), tags=("audit",), errors=(403,), produces="application/x-ndjson")
def audit_log_export():
    return Response(stream_with_context(audit_log.export_lines(db.session, _scope())),
                    mimetype="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'})


@bp.get("/audit-log/verify")
@operation("Recompute the audit log's hash chain; name the first event that does not fit", roles=("admin",),
           response=AuditVerifyOut, tags=("audit",), errors=(403,))
def audit_log_verify():
    return AuditVerifyOut(**audit_log.verify(db.session))
