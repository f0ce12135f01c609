"""The audit log's page: an admin reads every event, a client those about its organization; both export them."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user

from itad import audit_log
from itad.models import AuditEvent, db
from itad.pagination import page
from itad.web import ADMIN, CLIENT, bp, roles

PAGE = 100


def _scope() -> int | None:
    return None if current_user.role == ADMIN else current_user.organization_id


@bp.get("/audit-log")
@roles(CLIENT, ADMIN)
def audit_log_page():
    rows, next_cursor = page(db.session, audit_log.query(_scope()), AuditEvent.id, PAGE,
                             request.args.get("after", type=int), newest_first=True)
    return render_template("audit_log.html", events=rows, next_cursor=next_cursor,
                           check=audit_log.verify(db.session) if current_user.role == ADMIN else None)


@bp.get("/audit-log.jsonl")
@roles(CLIENT, ADMIN)
def audit_log_export():
    return Response(stream_with_context(audit_log.export_lines(db.session, _scope())), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'})
