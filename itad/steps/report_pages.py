"""The bench's erasure reports for a batch: upload any supported report, and resolve the drives it could not
apply (match each to a drive of the batch, or dismiss it with a reason). The same services as the API
(itad.steps.erasure_reports), one commit per form."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad import batches, documents
from itad.models import Device, ErasureReport, StorageMedium, db
from itad.web import OPERATOR, bp, roles
from itad.web.unit_of_work import attempt
from itad.steps import erasure_reports


def _batch(batch_id: int):
    return batches.get_batch(db.session, current_user, batch_id)


def _back(batch_id: int):
    return redirect(url_for("web.bench_reports", batch_id=batch_id))


@bp.get("/bench/batches/<int:batch_id>/reports")
@roles(*OPERATOR)
def bench_reports(batch_id: int):
    batch = _batch(batch_id)
    reports = db.session.scalars(sa.select(ErasureReport).where(ErasureReport.batch_id == batch.id)
                                 .order_by(ErasureReport.id.desc()).limit(50)).all()
    items = erasure_reports.review(db.session, batch.id)
    drives = db.session.execute(
        sa.select(StorageMedium.id, StorageMedium.serial, Device.serial.label("device_serial"))
        .join(Device, Device.id == StorageMedium.device_id).where(Device.batch_id == batch.id)
        .order_by(StorageMedium.serial).limit(5000)).all() if items else []
    return render_template("bench/reports.html", batch=batch, reports=reports, items=items, drives=drives)


@bp.post("/bench/batches/<int:batch_id>/reports")
@roles(*OPERATOR)
def bench_upload_report(batch_id: int):
    batch = _batch(batch_id)
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        flash("Choose the report file to import.", "error")
        return _back(batch.id)
    ok, done = attempt(erasure_reports.import_report, db.session, current_user, batch, data,
                       store=documents.storage(db.session, current_app.config), filename=upload.filename)
    if ok:
        flash(f"{done['tool']} report: {done['drives']} drive(s), {done['applied']} recorded, "
              f"{done['rejected']} rejected, {done['unmatched']} unmatched"
              + (f"; {done['review_open']} to review below." if done["review_open"] else "."),
              "success" if not done["review_open"] else "warning")
    return _back(batch.id)


@bp.post("/bench/batches/<int:batch_id>/reports/review/<int:item_id>/match")
@roles(*OPERATOR)
def bench_review_match(batch_id: int, item_id: int):
    batch = _batch(batch_id)
    ok, done = attempt(erasure_reports.match, db.session, current_user, batch, item_id,
                       request.form.get("medium_id", type=int) or 0)
    if ok:
        flash(f"Wipe recorded on drive {done['medium_id']}: device is {done['state']}.", "success")
    return _back(batch.id)


@bp.post("/bench/batches/<int:batch_id>/reports/review/<int:item_id>/dismiss")
@roles(*OPERATOR)
def bench_review_dismiss(batch_id: int, item_id: int):
    batch = _batch(batch_id)
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 3:
        flash("Say why this drive needs no record (at least 3 characters).", "error")
        return _back(batch.id)
    ok, _ = attempt(erasure_reports.dismiss, db.session, current_user, batch, item_id, reason[:500])
    if ok:
        flash("Dismissed.", "success")
    return _back(batch.id)
