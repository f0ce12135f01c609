"""The bench: receive, reconcile, sanitize, verify, grade, clear, destroy, close; and what is allowed now.

Technicians and admins act (clients get 403); clients read their own devices. Views stay thin: each
calls one service in itad.steps, which goes through the one transition function.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from itad import batches, documents
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import DeviceOut
from itad.steps.schemas import (
    CloseOut, DestroyIn, DeviceWorkflowOut, EventOut, GradeIn, ReceiptOut, ReceiveIn, ReconcileIn,
    SanitizationIn, SanitizationStepOut, StepOut, TransitionsOut, VerificationStepOut, VerifyIn,
)
from itad.models import (
    Destruction, Device, DeviceGrading, SanitizationRecord, Verification, db,
)
from itad.steps import closing, disposition, grading, receiving, sanitizing, transitions, verifying

ADMIN = ("admin",)
STEP_ERRORS = (403, 404, 409, 422)


def device_detail(device: Device) -> DeviceWorkflowOut:
    """The device with each medium's wipe and verification records, its grade and its destruction."""
    session = db.session
    records = session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device.id)
                              .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)).all()
    checks = session.scalars(sa.select(Verification).where(Verification.device_id == device.id)
                             .order_by(Verification.id)).all()
    out = DeviceWorkflowOut.model_validate(device)
    for medium in out.media:
        medium.sanitizations = [r for r in records if r.medium_id == medium.id]
        medium.verifications = [v for v in checks if v.medium_id == medium.id]
    out.grading = session.scalar(sa.select(DeviceGrading).where(DeviceGrading.device_id == device.id))
    out.destruction = session.scalar(sa.select(Destruction).where(Destruction.device_id == device.id))
    return DeviceWorkflowOut.model_validate(out.model_dump())


def _device(device_id: int) -> Device:
    return batches.get_device(db.session, current_user(), device_id)


def _locked(device_id: int) -> Device:
    """A step's device, read and locked with its batch in one statement (404 as _device)."""
    return transitions.lock_device(db.session, current_user(), device_id)


def _step(device: Device, event) -> dict:
    return {"device": DeviceOut.model_validate(device), "event": EventOut.model_validate(event) if event else None}


@bp.post("/receive")
@operation("Receive a unit by its serial or asset tag (within a batch, or among open batches)",
           roles=OPERATOR_ROLES, body=ReceiveIn, response=ReceiptOut, tags=("workflow",), errors=STEP_ERRORS)
def receive(body: ReceiveIn):
    receipt = receiving.receive(db.session, current_user(), serial=body.serial, asset_tag=body.asset_tag,
                                batch_id=body.batch_id)
    event = db.session.get(transitions.custody.CustodyEvent, receipt.event_id) if receipt.event_id else None
    return ReceiptOut(outcome=receipt.outcome, **_step(receipt.device, event))


@bp.post("/devices/<int:device_id>/reconcile")
@operation("Reconcile an unexpected unit: match it to a manifest line, or accept it",
           roles=OPERATOR_ROLES, body=ReconcileIn, response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def reconcile(device_id: int, body: ReconcileIn):
    device = _locked(device_id)
    transitions.check_version(device, body.version)
    applied = receiving.reconcile(db.session, current_user(), device, manifest_device_id=body.manifest_device_id,
                                  accept=body.accept, note=body.note)
    return StepOut(**_step(device, applied.event))


@bp.post("/devices/<int:device_id>/sanitizations")
@operation("Record a wipe of one storage medium (a drive not on the list is added)",
           roles=OPERATOR_ROLES, body=SanitizationIn, response=SanitizationStepOut, status=201,
           tags=("workflow",), errors=STEP_ERRORS)
def sanitize(device_id: int, body: SanitizationIn):
    device = _locked(device_id)
    data = body.model_dump(exclude={"report_text", "version"})
    report = body.report_text.encode("utf-8") if body.report_text else None
    done = sanitizing.record_sanitization(db.session, current_user(), device, sanitizing.claim_from(data),
                                          report=report, store=documents.storage(db.session, current_app.config),
                                          expected_version=body.version)
    return SanitizationStepOut(record=done.record, medium_added=done.medium_added,
                               **_step(device, done.applied.event))


@bp.post("/devices/<int:device_id>/verifications")
@operation("Verify a wipe (four-eyes: not by the person who wiped)", roles=OPERATOR_ROLES, body=VerifyIn,
           response=VerificationStepOut, status=201, tags=("workflow",), errors=STEP_ERRORS)
def verify(device_id: int, body: VerifyIn):
    device = _locked(device_id)
    check, applied = verifying.verify(db.session, current_user(), device, medium_id=body.medium_id,
                                      passed=body.passed, notes=body.notes, expected_version=body.version)
    return VerificationStepOut(verification=check, **_step(device, applied.event))


@bp.post("/devices/<int:device_id>/grade")
@operation("Grade a unit (cosmetic grade, functional checks)", roles=OPERATOR_ROLES, body=GradeIn,
           response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def grade(device_id: int, body: GradeIn):
    device = _locked(device_id)
    _, applied = grading.grade(db.session, current_user(), device, grade=body.grade,
                               functional_checks=body.functional_checks, notes=body.notes,
                               expected_version=body.version)
    return StepOut(**_step(device, applied.event))


@bp.post("/devices/<int:device_id>/clear")
@operation("Clear a graded unit for resale", roles=OPERATOR_ROLES, body=None, response=StepOut,
           tags=("workflow",), errors=STEP_ERRORS)
def clear(device_id: int):
    device = _locked(device_id)
    applied = disposition.clear(db.session, current_user(), device)
    return StepOut(**_step(device, applied.event))


@bp.post("/devices/<int:device_id>/destroy")
@operation("Destroy a unit physically (technique, witness, time)", roles=OPERATOR_ROLES, body=DestroyIn,
           response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def destroy(device_id: int, body: DestroyIn):
    device = _locked(device_id)
    _, applied = disposition.destroy(db.session, current_user(), device, technique=body.technique,
                                     witness=body.witness, destroyed_at=body.destroyed_at, notes=body.notes,
                                     expected_version=body.version)
    return StepOut(**_step(device, applied.event))


@bp.get("/devices/<int:device_id>/transitions")
@operation("The moves allowed on this device now (the same table the API enforces)",
           response=TransitionsOut, tags=("workflow",), errors=(404,))
def allowed(device_id: int):
    device = _device(device_id)
    user = current_user()
    return TransitionsOut(device_id=device.id, state=device.state, version=device.version,
                          allowed=transitions.allowed_now(db.session, device, user),
                          media=transitions.media_moves(db.session, device, user))


@bp.post("/batches/<int:batch_id>/close")
@operation("Close a batch: lines never received become missing", roles=ADMIN, response=CloseOut,
           tags=("workflow",), errors=(403, 404, 409))
def close(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return CloseOut(**closing.close_batch(db.session, current_user(), batch))
