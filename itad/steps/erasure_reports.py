"""Importing an erasure tool's log for a batch: each drive matched by serial to a medium of the batch.

The raw log is kept as evidence (content-addressed, its SHA-256 on every record it produced). Drives
whose serial matches no medium of the batch, or that nwipe did not finish, are reported back, never
guessed at.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from certificates.storage import Storage

from itad.erasure.nwipe import parse_nwipe_log
from itad.models import Batch, Device, StorageMedium, User
from itad.steps.sanitizing import apply_wipes

_NOT_A_RESULT = {"cancelled": "nwipe was cancelled before it finished this drive: nothing recorded",
                 "unknown": "the log does not show how this drive's wipe ended (a fragment): nothing recorded"}


def import_nwipe(session: Session, actor: User, batch: Batch, data: bytes, *, store: Storage) -> dict[str, Any]:
    report = parse_nwipe_log(data)
    digest = store.put(data)
    serials = {
        (s or "").strip().upper(): mid for mid, s in session.execute(
            sa.select(StorageMedium.id, StorageMedium.serial).join(Device, Device.id == StorageMedium.device_id)
            .where(Device.batch_id == batch.id, StorageMedium.serial.is_not(None)))
    }
    items, unmatched, skipped = [], [], []
    for position, drive in enumerate(report.drives):
        key = (drive.serial or "").strip().upper()
        about = {"drive": drive.device, "serial": drive.serial or None, "model": drive.model, "result": drive.result}
        if not key or key not in serials:
            why = "nwipe printed no serial for this drive" if not key else \
                f"no medium of batch {batch.id} has serial {drive.serial}"
            unmatched.append({**about, "reason": why})
            continue
        if drive.result in _NOT_A_RESULT:
            skipped.append({"index": position, "status": "rejected", "reason": _NOT_A_RESULT[drive.result],
                            "medium_id": serials[key], **about})
            continue
        facts = drive.sanitize_facts(report.version)
        items.append({"index": position, "medium_id": serials[key], "method": facts["method"],
                      "technique": facts["technique"], "result": facts["result"],
                      "hidden_areas": facts["hidden_areas"], "verified_by_tool": facts["verified_by_tool"],
                      "tool": "nwipe", "tool_version": report.version, "passes": drive.passes,
                      "started_at": drive.started_at, "finished_at": drive.ended_at,
                      "evidence": facts["evidence"]})
    results = apply_wipes(session, actor, items, source="nwipe", report_sha256=digest, batch_id=batch.id)
    drives = {i["index"]: i for i in items}
    for r in results:
        d = report.drives[r["index"]]
        r.update(drive=d.device, serial=d.serial, model=d.model)
        del drives[r["index"]]
    results = sorted(results + skipped, key=lambda r: r["index"])
    return {"report_sha256": digest, "drives": len(report.drives),
            "applied": sum(1 for r in results if r["status"] == "applied"),
            "rejected": sum(1 for r in results if r["status"] == "rejected"),
            "results": results, "unmatched": unmatched, "warnings": report.warnings}
