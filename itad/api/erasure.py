"""Wipe results in bulk: a JSON list from an erasure station, or an nwipe log for a batch."""

from __future__ import annotations

from flask import current_app, request
from pydantic import TypeAdapter, ValidationError

from itad import batches
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.workflow_schemas import BulkOut, BulkSanitizationIn, BulkSanitizationItem, ErasureReportOut
from itad.errors import BadRequest
from itad.models import db
from itad.workflow import bulk, erasure_reports

_ITEM = TypeAdapter(BulkSanitizationItem)


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}"
                     for e in exc.errors(include_url=False))


@bp.post("/sanitizations/bulk")
@operation("Apply up to 10,000 wipe results; each is applied or rejected with its own reason",
           roles=OPERATOR_ROLES, body=BulkSanitizationIn, response=BulkOut, tags=("workflow",), errors=(403, 422))
def bulk_sanitizations(body: BulkSanitizationIn):
    valid, results = [], []
    for index, raw in enumerate(body.items):
        try:
            item = _ITEM.validate_python(raw)
        except ValidationError as exc:
            results.append({"index": index, "status": "rejected", "reason": _reason(exc)})
            continue
        valid.append({"index": index, **item.model_dump()})
    results += bulk.apply_wipes(db.session, current_user(), valid, source="bulk")
    results.sort(key=lambda r: r["index"])
    applied = sum(1 for r in results if r["status"] == "applied")
    return {"applied": applied, "rejected": len(results) - applied, "results": results}


@bp.post("/batches/<int:batch_id>/erasure-reports")
@operation("Import an nwipe log for a batch: drives matched to its media by serial", roles=OPERATOR_ROLES,
           response=ErasureReportOut, status=201, form={"file": "file!"},
           tags=("workflow",), errors=(400, 403, 404, 409))
def erasure_report(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        raise BadRequest("Send the nwipe log as a 'file' form field or as the request body.", code="empty_report")
    return erasure_reports.import_nwipe(db.session, current_user(), batch, data,
                                        storage_dir=current_app.config["STORAGE_DIR"])
