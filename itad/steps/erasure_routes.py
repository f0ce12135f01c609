"""Wipe results in bulk: a JSON list from an erasure station, or an erasure tool's report for a batch with
its review queue."""

from __future__ import annotations

from flask import Response, current_app, request
from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from itad import batches, documents
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.steps.schemas import (BulkOut, BulkSanitizationIn, BulkSanitizationItem, ErasureReportOut, ItemResult,
                                ReviewDismissIn, ReviewMatchIn, ReviewOut, ReviewQuery)
from itad.errors import BadRequest
from itad.models import db
from itad.steps import erasure_reports, sanitizing

_ITEMS = TypeAdapter(list[BulkSanitizationItem])


def _reason(errors: list[dict]) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'item'}: {e['msg']}" for e in errors)


def _as_dicts(items: list[BulkSanitizationItem]) -> list[dict]:
    # An item's fields are flat (numbers, text, datetimes): its __dict__ holds what model_dump would
    # build again, value for value. bulk only reads them.
    return [vars(item) for item in items]


def _validated(raw: list[dict]) -> tuple[list[dict], list[dict]]:
    """(valid items as dicts, a rejection per invalid one), the list validated in one call; when some fail,
    their errors are grouped by index, the rest validated again and given their index in the request."""
    try:
        return _as_dicts(_ITEMS.validate_python(raw)), []
    except ValidationError as exc:
        errors: dict[int, list[dict]] = {}
        for e in exc.errors(include_url=False):
            errors.setdefault(e["loc"][0], []).append(e)
    good = [i for i in range(len(raw)) if i not in errors]
    items = _as_dicts(_ITEMS.validate_python([raw[i] for i in good]))
    return ([{"index": i, **item} for i, item in zip(good, items)],
            [{"index": i, "status": "rejected", "reason": _reason(e)} for i, e in errors.items()])


@bp.post("/sanitizations/bulk")
@operation("Apply up to 10,000 wipe results; each is applied or rejected with its own reason",
           roles=OPERATOR_ROLES, body=BulkSanitizationIn, response=BulkOut, tags=("workflow",), errors=(403, 422))
def bulk_sanitizations(body: BulkSanitizationIn):
    valid, results = _validated(body.items)
    results += sanitizing.apply_wipes(db.session, current_user(), valid, source="bulk")
    results.sort(key=lambda r: r["index"])
    applied = sum(1 for r in results if r["status"] == "applied")
    # pydantic-core writes the results at a fraction of the cost of the json module.
    return Response(to_json({"applied": applied, "rejected": len(results) - applied, "results": results}),
                    mimetype="application/json")


@bp.post("/batches/<int:batch_id>/erasure-reports")
@operation("Import an erasure report for a batch (nwipe/ShredOS log, Blancco XML, hdparm, nvme-cli or openSeaChest "
           "transcript, Workbench snapshot; the format is recognised): drives matched to the batch's by serial; "
           "those not applied wait in the review queue", roles=OPERATOR_ROLES, response=ErasureReportOut,
           status=201, form={"file": "file!"}, tags=("workflow",), errors=(400, 403, 404, 409, 422))
def erasure_report(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    if not data:
        raise BadRequest("Send the report as a 'file' form field or as the request body.", code="empty_report")
    return erasure_reports.import_report(db.session, current_user(), batch, data,
                                         store=documents.storage(db.session, current_app.config),
                                         filename=upload.filename if upload else None)


@bp.get("/batches/<int:batch_id>/erasure-reports/review")
@operation("The batch's erasure review queue: reported drives not applied (rejected or unmatched)",
           roles=OPERATOR_ROLES, query=ReviewQuery, response=ReviewOut, tags=("workflow",), errors=(403, 404, 422))
def erasure_review(batch_id: int, query: ReviewQuery):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    items = erasure_reports.review(db.session, batch.id, state=None if query.state == "all" else query.state)
    return ReviewOut(open=len(erasure_reports.open_items(db.session, batch.id)), items=items)


@bp.post("/batches/<int:batch_id>/erasure-reports/review/<int:item_id>/match")
@operation("Apply a reported wipe to the drive of the batch it belongs to", roles=OPERATOR_ROLES,
           body=ReviewMatchIn, response=ItemResult, tags=("workflow",), errors=(403, 404, 409, 422))
def match_review_item(batch_id: int, item_id: int, body: ReviewMatchIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return erasure_reports.match(db.session, current_user(), batch, item_id, body.medium_id)


@bp.post("/batches/<int:batch_id>/erasure-reports/review/<int:item_id>/dismiss")
@operation("Dismiss a reported drive with the reason it needs no record", roles=OPERATOR_ROLES,
           body=ReviewDismissIn, tags=("workflow",), errors=(403, 404, 409, 422))
def dismiss_review_item(batch_id: int, item_id: int, body: ReviewDismissIn):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return erasure_reports.dismiss(db.session, current_user(), batch, item_id, body.reason)
