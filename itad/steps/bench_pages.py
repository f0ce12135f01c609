"""The technician's bench: made for a barcode scanner and a keyboard.

The scan field has focus; Enter opens the device. The device page offers only the moves the
workflow allows now (itad.steps.applying.allowed_now: the same table the API enforces), each a
short form whose first field has focus. A refused step shows the workflow's own message (the 409's).
Every form carries the device version it was drawn from, so two technicians cannot overwrite each
other's step unseen.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from itad import batches, documents
from itad.errors import Invalid
from itad.models import Batch, Device, SanitizationRecord, Verification, db
from itad.web import OPERATOR, bp, roles
from itad.web.unit_of_work import attempt
from itad.words import word
from itad.steps import applying, disposition, grading, locks, receiving, sanitizing, verifying
from workflows.machine import STOCK_ACTIONS
from workflows.states import DeviceState
from workflows.mobile import LOCK_KINDS, LOCK_STATUSES, needs_lock_checks
from workflows.sanitization import DESTROY_TECHNIQUES, HIDDEN_AREA_STATES, MEDIA_TYPES, wipe_techniques_for

# The bench's queues, by the state their devices wait in, in the order of the process (named in itad.words,
# "queue": expected to arrive, to reconcile, to wipe, to verify, to grade, to clear; and units back from buyers).
QUEUES = ("registered", "unexpected", "received", "sanitized", "verified", "graded", "returned")
WIPE_RESULTS = ("erased", "erased_with_warning", "failed")


def techniques_for(media_type: str) -> list[str]:
    """The wipe techniques that work on this type of drive (NIST SP 800-88 Rev. 1 Table A, as
    workflows.sanitization.capability reads it), the usual one first."""
    return wipe_techniques_for([media_type])


def _device(device_id: int) -> Device:
    return batches.get_device(db.session, current_user, device_id)


def _version() -> int | None:
    return request.form.get("version", type=int)


def _back(device: Device, message: str | None = None, *, failed: bool = False):
    """Back to the device. After a step is recorded the scan field has focus (scan=1), so the next scan
    is never lost; a refused step (no message: the refusal is flashed) leaves the focus on the step."""
    if message:
        flash(message, "error" if failed else "success")
    return redirect(url_for("web.bench_device", device_id=device.id, scan=1 if message else None))


@bp.get("/bench")
@roles(*OPERATOR)
def bench():
    counts = batches.queue_counts(db.session, current_user, QUEUES)
    return render_template("bench/scan.html", queues=QUEUES, counts=counts)


@bp.get("/bench/scan")
@roles(*OPERATOR)
def bench_scan():
    code = (request.args.get("code") or "").strip()[:120]
    if not code:
        flash("Scan or type a serial number.", "error")
        return redirect(url_for("web.bench"))
    found = batches.find_by_serial(db.session, current_user, code)
    if len(found) == 1:
        return redirect(url_for("web.bench_device", device_id=found[0].id))
    open_batches = []
    if not found:
        open_batches = batches.list_batches(db.session, current_user, status="open", limit=200, cursor=None).rows
    return render_template("bench/scan_result.html", code=code, found=found, open_batches=open_batches,
                           queues=QUEUES, counts=None), (200 if found else 404)


@bp.post("/bench/unexpected")
@roles(*OPERATOR)
def bench_record_unexpected():
    serial = (request.form.get("serial") or "").strip()[:120]
    batch = batches.get_batch(db.session, current_user, request.form.get("batch_id", type=int) or 0)
    ok, receipt = attempt(receiving.receive, db.session, current_user, serial=serial, batch_id=batch.id)
    if not ok:
        return redirect(url_for("web.bench_scan", code=serial))
    flash(f"{receipt.device.serial} recorded as {receipt.outcome} in batch {batch.reference}.", "success")
    return redirect(url_for("web.bench_device", device_id=receipt.device.id))


@bp.get("/bench/queue/<state>")
@roles(*OPERATOR)
def bench_queue(state: str):
    if state not in QUEUES:
        abort(404)
    devices = batches.devices_in_state(db.session, current_user, state, limit=100,
                                       after=request.args.get("after", type=int),
                                       before=request.args.get("before", type=int))
    return render_template("bench/queue.html", state=state, devices=devices, queues=QUEUES)


@bp.get("/bench/devices/<int:device_id>")
@roles(*OPERATOR)
def bench_device(device_id: int):
    device = _device(device_id)
    batch = db.session.get(Batch, device.batch_id)
    records = _latest_records(device.id)
    checks = _latest_verifications([r.id for r in records.values()])
    allowed, moves = applying.allowed_now(db.session, current_user, device.id)
    # Stock moves (list, sell, withdraw, return) belong to the inventory, not the bench; a closed batch's units
    # take only the moves that go on after close (a returned unit's re-grade and clearing, destruction).
    shown = (lambda a: a not in STOCK_ACTIONS and applying.open_to(a, batch.status))
    allowed = [a for a in allowed if shown(a)]
    moves = {m: [a for a in acts if shown(a)] for m, acts in moves.items()}
    events = batches.custody_timeline(db.session, current_user, device.batch_id, device_id=device.id, limit=50)
    return render_template(
        "bench/device.html", device=device, batch=batch, records=records, checks=checks, allowed=allowed,
        moves=moves, events=events, drives=batches.drive_names(db.session, events.rows),
        scan_next=request.args.get("scan") == "1", techniques_for=techniques_for, wipe_results=WIPE_RESULTS,
        lock_kinds=LOCK_KINDS if needs_lock_checks(device.category) else (), lock_statuses=LOCK_STATUSES,
        checks_open=locks.checkable(device.state, batch.status), grading_open=bool({"grade", "regrade"} & set(allowed)),
        scheme=grading.scheme_for(db.session, device.category),
        hidden_areas=HIDDEN_AREA_STATES, media_types=MEDIA_TYPES, destroy_techniques=sorted(DESTROY_TECHNIQUES),
        grades=grading.GRADES,
        # A unit back from its buyer is erased again before its re-grade: the techniques that work on all its drives.
        buyer_erase=(wipe_techniques_for(m.media_type for m in device.media)
                     if device.state == DeviceState.returned.value else ()))


def _latest_records(device_id: int) -> dict[int, SanitizationRecord]:
    """{medium_id: its latest wipe record} for the device's media."""
    rows = db.session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device_id)
                              .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)).all()
    return {r.medium_id: r for r in rows}


def _latest_verifications(record_ids: list[int]) -> dict[int, Verification]:
    """{sanitization_record_id: its latest verification}."""
    rows = db.session.scalars(sa.select(Verification).where(Verification.sanitization_record_id.in_(record_ids))
                              .order_by(Verification.id)).all() if record_ids else []
    return {v.sanitization_record_id: v for v in rows}


@bp.post("/bench/devices/<int:device_id>/receive")
@roles(*OPERATOR)
def bench_receive(device_id: int):
    device = _device(device_id)
    ok, _ = attempt(_receive, device)
    return _back(device, "Received. Next: record the wipe of each drive." if ok else None)


@bp.post("/bench/devices/<int:device_id>/accept")
@roles(*OPERATOR)
def bench_accept(device_id: int):
    device = _device(device_id)
    ok, _ = attempt(_reconcile, device, accept=True)
    return _back(device, "Accepted as an extra unit; it is received. Next: record the wipe of each drive."
                 if ok else None)


@bp.post("/bench/devices/<int:device_id>/match")
@roles(*OPERATOR)
def bench_match(device_id: int):
    device = _device(device_id)
    serial = (request.form.get("manifest_serial") or "").strip()
    ok, line = attempt(_reconcile, device, manifest_serial=serial)
    if ok:
        flash(f"Matched to the asset-list line {serial}; that line is received.", "success")
        return redirect(url_for("web.bench_device", device_id=line))
    return _back(device)


def _receive(device: Device):
    # The receiving service finds the manifest line by serial within the batch: this device's own line.
    return receiving.receive(db.session, current_user, serial=device.serial, batch_id=device.batch_id,
                             expected_version=_version())


def _reconcile(device: Device, *, accept: bool = False, manifest_serial: str | None = None):
    line_id = None
    if not accept:
        lines = batches.list_devices(db.session, current_user, device.batch_id, serial_prefix=manifest_serial,
                                     limit=20).rows
        exact = [d for d in lines if d.serial.upper() == (manifest_serial or "").upper() and d.manifest_row]
        if not exact:
            raise Invalid(f"No asset-list line of this batch has the serial {manifest_serial!r}.",
                          code="not_a_manifest_line")
        line_id = exact[0].id
    receiving.reconcile(db.session, current_user, device.id, manifest_device_id=line_id, accept=accept,
                        note=request.form.get("note") or None, expected_version=_version(),
                        described={k: request.form.get(k, "") for k in receiving.DESCRIBED})
    return line_id


@bp.post("/bench/devices/<int:device_id>/sanitize")
@roles(*OPERATOR)
def bench_sanitize(device_id: int):
    device = _device(device_id)
    form = request.form
    claim = sanitizing.WipeClaim(
        method=form.get("method", ""), technique=form.get("technique", ""),
        medium_id=form.get("medium_id", type=int),
        medium_serial=(form.get("medium_serial") or "").strip() or None,
        media_type=form.get("media_type") or None,
        tool=(form.get("tool") or "").strip()[:120] or None,
        tool_version=(form.get("tool_version") or "").strip()[:60] or None,
        hidden_areas=form.get("hidden_areas") or None,
        result=form.get("result") or "erased",
    )
    ok, done = attempt(sanitizing.record_sanitization, db.session, current_user, device.id, claim,
                       store=documents.storage(db.session, current_app.config), source="web",
                       expected_version=_version())
    if not ok:
        return _back(device)
    record = done.record
    held_medium = done.planned.device.media.get(record["medium_id"])
    drive = (held_medium.serial if held_medium else None) or claim.medium_serial or f"#{record['medium_id']}"
    if record["result"] == "failed":
        return _back(device, f"Wipe FAILED on drive {drive}: wipe it again, or destroy the device.", failed=True)
    note = f" (only {word(record['effective_method'], 'method')} counts: {'; '.join(record['reasons'])})" \
        if record["decision"] == "downgraded" else ""
    return _back(device, f"Wipe recorded on drive {drive}: {word(record['effective_method'], 'method')}, "
                         f"{word(record['result'], 'result')}{note}. "
                         f"The device is {word(done.planned.device.facts.state, 'state')}.")


@bp.post("/bench/devices/<int:device_id>/verify")
@roles(*OPERATOR)
def bench_verify(device_id: int):
    device = _device(device_id)
    passed = request.form.get("passed") == "1"
    ok, done = attempt(verifying.verify, db.session, current_user, device.id, medium_id=request.form.get("medium_id", type=int),
                    passed=passed, notes=request.form.get("notes") or None, expected_version=_version())
    if ok and not passed:
        return _back(device, "Verification FAILED: the drive must be wiped again, or the device destroyed.",
                     failed=True)
    return _back(device, (f"Verification recorded: passed. "
                          f"The device is {word(done.device.facts.state, 'state')}.") if ok else None)


@bp.post("/bench/devices/<int:device_id>/grade")
@roles(*OPERATOR)
def bench_grade(device_id: int):
    device = _device(device_id)
    form = request.form
    grade = (form.get("grade") or "").strip().upper() or None
    if form.get("checklist") == "1":
        scheme = grading.scheme_for(db.session, device.category) or {"checks": []}
        checks = {c["key"]: _check_value(c, form.get(f"check_{c['key']}", "")) for c in scheme["checks"]}
        ok, done = attempt(grading.grade, db.session, current_user, device.id, grade=grade,
                           cosmetic=form.get("cosmetic") or None, checks=checks,
                           override_reason=form.get("override_reason") or None, notes=form.get("notes") or None,
                           buyer_data_erased=form.get("buyer_data_erased") or None, expected_version=_version())
        if not ok:
            return _back(device)
        given = done.device.facts.grade
        return _back(device, f"Graded {given} from the checks." if not form.get("grade")
                     else f"Graded {given} (the checks gave another grade; your reason is kept).")
    if grade not in grading.GRADES:
        flash(f"The grade is one letter: {', '.join(grading.GRADES)}.", "error")
        return _back(device)
    ok, _ = attempt(grading.grade, db.session, current_user, device.id, grade=grade,
                    notes=form.get("notes") or None, buyer_data_erased=form.get("buyer_data_erased") or None,
                    expected_version=_version())
    return _back(device, f"Graded {grade}." if ok else None)


def _check_value(check: dict, text: str):
    """A checklist field as the scheme reads it: pass/fail as true/false, a number as a number, blank as None."""
    text = text.strip()
    if not text:
        return None
    if check.get("kind", "pass") == "pass":
        return {"pass": True, "fail": False}.get(text)
    try:
        return float(text)
    except ValueError:
        return None


@bp.post("/bench/devices/<int:device_id>/clear")
@roles(*OPERATOR)
def bench_clear(device_id: int):
    device = _device(device_id)
    ok, _ = attempt(disposition.clear, db.session, current_user, device.id, expected_version=_version())
    return _back(device, "Cleared for resale." if ok else None)


@bp.post("/bench/devices/<int:device_id>/locks")
@roles(*OPERATOR)
def bench_locks(device_id: int):
    device = _device(device_id)
    checks = {kind: (request.form.get(f"{kind}_status", ""), request.form.get(f"{kind}_source", ""))
              for kind in LOCK_KINDS if request.form.get(f"{kind}_status")}
    ok, row = attempt(locks.record_locks, db.session, current_user, device.id, checks, expected_version=_version())
    if not ok:
        return _back(device)
    if row.locked:
        return _back(device, f"{row.serial} is LOCKED: it waits in its client's list of locked devices and cannot "
                             "be cleared for resale.", failed=True)
    return _back(device, "Lock checks recorded.")


@bp.post("/bench/devices/<int:device_id>/destroy")
@roles(*OPERATOR)
def bench_destroy(device_id: int):
    device = _device(device_id)
    ok, _ = attempt(disposition.destroy, db.session, current_user, device.id,
                    technique=request.form.get("technique", ""), witness=request.form.get("witness") or None,
                    notes=request.form.get("notes") or None, expected_version=_version())
    return _back(device, "Destruction recorded." if ok else None)
