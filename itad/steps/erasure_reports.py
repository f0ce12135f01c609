"""Importing an erasure report for a batch, and resolving the drives it could not apply.

Any supported file (itad.erasure.reading) is read into per-drive results; each drive is matched by serial to a
drive of the batch (a serial the tool cut short matches only when exactly one drive's serial starts with it)
and its wipe applied through sanitizing.apply_wipes, the one way wipes are recorded. A drive whose report
shows no finished erase (in progress, stuck, cancelled, a fragment), one the workflow refuses, and one that
matches no drive are kept in the batch's review queue, never guessed at; a technician matches each to a
drive of the batch or dismisses it with a reason, and the batch cannot close while one is open. The raw
file is kept in the document store; its SHA-256 is on every wipe record it produced and on the custody event
of the import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from certificates.storage import Storage

from itad.erasure.reading import UnknownFormat, read_report
from itad.erasure.results import RESULTS, DriveResult, ToolReport
from itad.errors import Conflict, NotFound, Invalid
from itad.models import Batch, Device, ErasureReport, ErasureReviewItem, StorageMedium, User, utcnow
from itad.steps import custody
from itad.steps.sanitizing import apply_wipes

_TIMES = ("started_at", "finished_at")


def import_report(session: Session, actor: User, batch: Batch, data: bytes, *, store: Storage,
                  filename: str | None = None) -> dict[str, Any]:
    try:
        report = read_report(data)
    except UnknownFormat as exc:
        raise Invalid(str(exc), code="unknown_report_format") from None
    status = custody.lock_batch(session, batch.id)
    if status != "open":
        raise Conflict(f"Batch {batch.id} is {status}: no report can be imported into it.", code="batch_closed",
                       details={"state": status, "allowed": [], "needs": []})
    digest = store.put(data)
    earlier = session.execute(sa.select(ErasureReport.id, ErasureReport.uploaded_at).where(
        ErasureReport.batch_id == batch.id, ErasureReport.report_sha256 == digest)).first()
    if earlier is not None:
        # Its wipes are recorded already; again, every drive would only be refused into the review queue.
        raise Conflict(f"This file was imported into batch {batch.id} already (report {earlier.id}, "
                       f"{earlier.uploaded_at:%Y-%m-%d %H:%M} UTC).", code="report_already_imported",
                       details={"report_id": earlier.id, "allowed": [], "needs": []})
    media = _media_by_serial(session, batch.id)
    items, queued, results = [], [], []
    for position, drive in enumerate(report.drives):
        about = {"index": position, **drive.about()}
        medium_id, why = _match(drive, media, batch.id)
        if medium_id is None:
            queued.append(("unmatched", position, why, None))
            results.append({**about, "status": "unmatched", "reason": why})
        elif drive.outcome not in RESULTS:
            queued.append(("rejected", position, drive.reason or "the report does not show the erase finished",
                           medium_id))
            results.append({**about, "status": "rejected", "medium_id": medium_id,
                            "reason": drive.reason or "the report does not show the erase finished"})
        else:
            items.append({**drive.wipe_item(report.tool, report.version), "index": position, "medium_id": medium_id})
            results.append(about)
    for applied in apply_wipes(session, actor, items, source=report.format, report_sha256=digest,
                               batch_id=batch.id):
        results[applied["index"]].update(applied)
        if applied["status"] == "rejected":
            queued.append(("rejected", applied["index"], applied["reason"], applied.get("medium_id")))
    record = ErasureReport(batch_id=batch.id, format=report.format, tool=report.tool[:120],
                           tool_version=(report.version or None) and report.version[:60],
                           filename=(filename or None) and filename[:255], report_sha256=digest,
                           drives=len(report.drives), applied=sum(r.get("status") == "applied" for r in results),
                           rejected=sum(r.get("status") == "rejected" for r in results),
                           unmatched=sum(r.get("status") == "unmatched" for r in results),
                           warnings=report.warnings[:200], uploaded_by_id=actor.id)
    session.add(record)
    session.flush()
    session.add_all(_review_item(record, report, position, kind, reason, medium_id)
                    for kind, position, reason, medium_id in sorted(queued, key=lambda q: q[1]))
    custody.append(session, batch.id, device_id=None, actor=actor, action="import_erasure_report",
                   evidence={"report_id": record.id, "report_sha256": digest, "format": report.format,
                             "tool": report.tool, "tool_version": report.version, "filename": filename,
                             "drives": record.drives, "applied": record.applied, "rejected": record.rejected,
                             "unmatched": record.unmatched})
    return {"report_id": record.id, "format": report.format, "tool": report.tool, "tool_version": report.version,
            "report_sha256": digest, "drives": record.drives, "applied": record.applied,
            "rejected": record.rejected, "unmatched": record.unmatched, "review_open": len(queued),
            "results": results, "warnings": report.warnings}


def _media_by_serial(session: Session, batch_id: int) -> dict[str, int]:
    rows = session.execute(
        sa.select(StorageMedium.serial, StorageMedium.id).join(Device, Device.id == StorageMedium.device_id)
        .where(Device.batch_id == batch_id, StorageMedium.serial.is_not(None)).order_by(StorageMedium.id))
    media: dict[str, int] = {}
    for serial, medium_id in rows:
        media.setdefault(serial.strip().upper(), medium_id)
    return media


def _match(drive: DriveResult, media: dict[str, int], batch_id: int) -> tuple[int | None, str | None]:
    key = (drive.serial or "").strip().upper()
    if not key:
        return None, "the report gives no serial number for this drive"
    if key in media:
        return media[key], None
    if drive.serial_truncated:
        hits = [s for s in media if s.startswith(key)]
        if len(hits) == 1:
            return media[hits[0]], None
        return None, (f"the report cut this drive's serial short ({drive.serial!r}) and "
                      f"{'no drive' if not hits else f'{len(hits)} drives'} of batch {batch_id} start with it")
    return None, f"no drive of batch {batch_id} has serial {drive.serial}"


def _review_item(record: ErasureReport, report: ToolReport, position: int, kind: str, reason: str,
                 medium_id: int | None) -> ErasureReviewItem:
    drive = report.drives[position]
    item = drive.wipe_item(report.tool, report.version)
    item.update({k: item[k].isoformat() if isinstance(item[k], datetime) else item[k] for k in _TIMES})
    return ErasureReviewItem(report_id=record.id, batch_id=record.batch_id, position=position, kind=kind,
                             reason=(reason or "")[:1000], drive=drive.about(), item=item, medium_id=medium_id,
                             state="open")


# ---------------------------------------------------------------- the review queue

def review(session: Session, batch_id: int, *, state: str | None = "open") -> list[dict[str, Any]]:
    query = (sa.select(ErasureReviewItem, ErasureReport.format, ErasureReport.filename, ErasureReport.report_sha256)
             .join(ErasureReport, ErasureReport.id == ErasureReviewItem.report_id)
             .where(ErasureReviewItem.batch_id == batch_id).order_by(ErasureReviewItem.id))
    if state:
        query = query.where(ErasureReviewItem.state == state)
    return [_item_out(i, fmt, name, sha) for i, fmt, name, sha in session.execute(query)]


def open_items(session: Session, batch_id: int) -> list[ErasureReviewItem]:
    return list(session.scalars(sa.select(ErasureReviewItem).where(
        ErasureReviewItem.batch_id == batch_id, ErasureReviewItem.state == "open").order_by(ErasureReviewItem.id)))


def _item_out(i: ErasureReviewItem, fmt: str, filename: str | None, sha: str) -> dict[str, Any]:
    return {"id": i.id, "report_id": i.report_id, "format": fmt, "filename": filename, "report_sha256": sha,
            "position": i.position, "kind": i.kind, "reason": i.reason, "drive": i.drive,
            "result": i.item.get("result"), "applicable": i.item.get("result") in RESULTS,
            "medium_id": i.medium_id, "state": i.state, "resolution": i.resolution,
            "resolved_at": i.resolved_at}


def _held_item(session: Session, batch: Batch, item_id: int) -> ErasureReviewItem:
    status = custody.lock_batch(session, batch.id)
    item = session.execute(sa.select(ErasureReviewItem).where(
        ErasureReviewItem.id == item_id, ErasureReviewItem.batch_id == batch.id).with_for_update()).scalar_one_or_none()
    if item is None:
        raise NotFound(f"No review item {item_id} in batch {batch.id}.")
    if status != "open":
        raise Conflict(f"Batch {batch.id} is {status}.", code="batch_closed",
                       details={"state": status, "allowed": [], "needs": []})
    if item.state != "open":
        raise Conflict(f"Review item {item_id} is already {item.state}.", code="review_resolved",
                       details={"state": item.state, "allowed": [], "needs": []})
    return item


def match(session: Session, actor: User, batch: Batch, item_id: int, medium_id: int) -> dict[str, Any]:
    """Apply the reported wipe to a drive of the batch that a person chose."""
    item = _held_item(session, batch, item_id)
    if item.item.get("result") not in RESULTS:
        raise Conflict(f"The report shows no finished erase for this drive ({item.reason}): there is nothing to "
                       f"apply. Dismiss it with a reason, or import a report that shows the erase finished.",
                       code="nothing_to_apply", details={"state": "open", "allowed": ["dismiss"],
                                                         "needs": ["a report that shows the erase finished"]})
    in_batch = session.scalar(sa.select(StorageMedium.id).join(Device, Device.id == StorageMedium.device_id)
                              .where(StorageMedium.id == medium_id, Device.batch_id == batch.id))
    if in_batch is None:
        raise Invalid(f"Drive {medium_id} is not a drive of batch {batch.id}.", code="not_in_batch")
    report = session.get(ErasureReport, item.report_id)
    wipe = {**item.item, "medium_id": medium_id, "index": 0}
    wipe.update({k: datetime.fromisoformat(wipe[k]) if wipe.get(k) else None for k in _TIMES})
    (result,) = apply_wipes(session, actor, [wipe], source=report.format, report_sha256=report.report_sha256,
                            batch_id=batch.id)
    if result["status"] != "applied":
        raise Conflict(f"The wipe cannot be applied to drive {medium_id}: {result['reason']}",
                       code="review_not_applied", details={"state": result.get("state"), "allowed": [],
                                                           "needs": result.get("needs") or []})
    _resolve(session, actor, batch, item, "matched", f"matched to drive {medium_id}", medium_id)
    return {**result, "review_item": item.id}


def dismiss(session: Session, actor: User, batch: Batch, item_id: int, reason: str) -> dict[str, Any]:
    item = _held_item(session, batch, item_id)
    _resolve(session, actor, batch, item, "dismissed", reason, item.medium_id)
    return {"review_item": item.id, "state": item.state, "resolution": item.resolution}


def _resolve(session: Session, actor: User, batch: Batch, item: ErasureReviewItem, state: str, resolution: str,
             medium_id: int | None) -> None:
    item.state, item.resolution, item.medium_id = state, resolution[:500], medium_id
    item.resolved_by_id, item.resolved_at = actor.id, utcnow()
    action = {"matched": "match_erasure_review", "dismissed": "dismiss_erasure_review"}[state]
    custody.append(session, batch.id, device_id=None, actor=actor, action=action,
                   evidence={"review_item": item.id, "report_id": item.report_id, "drive": item.drive,
                             "resolution": item.resolution, "medium_id": medium_id})
