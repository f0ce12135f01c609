"""The bench: receive, reconcile, sanitize, verify, grade, clear, destroy, close; and what is allowed now.

Technicians and admins act (clients get 403); clients read their own devices. Views stay thin: each
calls one service in itad.steps, which goes through the one transition function.
"""

from __future__ import annotations

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field

from itad import batches, documents
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import DeviceOut
from itad.steps.schemas import (
    CloseOut, DestroyIn, EventOut, GradeIn, MediumFactsIn, ReceiptOut, ReceiveIn, ReconcileIn,
    SanitizationIn, SanitizationStepOut, StepOut, TransitionsOut, VerificationStepOut, VerifyIn,
)
from itad.models import Device, db
from itad.steps import applying, closing, disposition, drives, grading, receiving, sanitizing, verifying

ADMIN = ("admin",)
STEP_ERRORS = (403, 404, 409, 422)


def _device(device_id: int) -> Device:
    return batches.get_device(db.session, current_user(), device_id)


def _step(device_id: int, event) -> dict:
    """The device as the step left it, and the step's custody event (a row as written, or the ORM row)."""
    device = db.session.get(Device, device_id)
    return {"device": DeviceOut.model_validate(device), "event": EventOut.model_validate(event) if event else None}


@bp.post("/receive")
@operation("Receive a unit by its serial or asset tag (within a batch, or among open batches)",
           roles=OPERATOR_ROLES, body=ReceiveIn, response=ReceiptOut, tags=("workflow",), errors=STEP_ERRORS)
def receive(body: ReceiveIn):
    receipt = receiving.receive(db.session, current_user(), serial=body.serial, asset_tag=body.asset_tag,
                                batch_id=body.batch_id)
    return ReceiptOut(outcome=receipt.outcome, **_step(receipt.device.id, receipt.event))


@bp.post("/devices/<int:device_id>/reconcile")
@operation("Reconcile an unexpected unit: match it to a manifest line, or accept it",
           roles=OPERATOR_ROLES, body=ReconcileIn, response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def reconcile(device_id: int, body: ReconcileIn):
    done = receiving.reconcile(db.session, current_user(), device_id, manifest_device_id=body.manifest_device_id,
                               accept=body.accept, note=body.note, expected_version=body.version,
                               described={"manufacturer": body.manufacturer, "model": body.model,
                                          "category": body.category})
    return StepOut(**_step(device_id, done.event))


@bp.post("/devices/<int:device_id>/sanitizations")
@operation("Record a wipe of one storage medium (a drive not on the list is added)",
           roles=OPERATOR_ROLES, body=SanitizationIn, response=SanitizationStepOut, status=201,
           tags=("workflow",), errors=STEP_ERRORS)
def sanitize(device_id: int, body: SanitizationIn):
    data = body.model_dump(exclude={"report_text", "version"})
    report = body.report_text.encode("utf-8") if body.report_text else None
    done = sanitizing.record_sanitization(db.session, current_user(), device_id, sanitizing.claim_from(data),
                                          report=report, store=documents.storage(db.session, current_app.config),
                                          expected_version=body.version)
    return SanitizationStepOut(record=done.record, medium_added=done.medium_added,
                               **_step(device_id, done.planned.event))


@bp.put("/devices/<int:device_id>/media/<int:medium_id>")
@operation("Set or correct a drive's facts (type, make, model, capacity) before its wipe", roles=OPERATOR_ROLES,
           body=MediumFactsIn, response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def describe_medium(device_id: int, medium_id: int, body: MediumFactsIn):
    done = drives.describe_medium(db.session, current_user(), device_id, medium_id, media_type=body.media_type,
                                  manufacturer=body.manufacturer, model=body.model,
                                  capacity_bytes=body.capacity_bytes, expected_version=body.version)
    return StepOut(**_step(device_id, done.event if done else None))


@bp.post("/devices/<int:device_id>/verifications")
@operation("Verify a wipe (four-eyes: not by the person who wiped)", roles=OPERATOR_ROLES, body=VerifyIn,
           response=VerificationStepOut, status=201, tags=("workflow",), errors=STEP_ERRORS)
def verify(device_id: int, body: VerifyIn):
    done = verifying.verify(db.session, current_user(), device_id, medium_id=body.medium_id,
                            passed=body.passed, notes=body.notes, expected_version=body.version)
    return VerificationStepOut(verification=done.record[1], **_step(device_id, done.event))


@bp.post("/devices/<int:device_id>/grade")
@operation("Grade a unit (cosmetic grade, functional checks)", roles=OPERATOR_ROLES, body=GradeIn,
           response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def grade(device_id: int, body: GradeIn):
    done = grading.grade(db.session, current_user(), device_id, grade=body.grade,
                         functional_checks=body.functional_checks, notes=body.notes, expected_version=body.version,
                         cosmetic=body.cosmetic, checks=body.checks, override_reason=body.override_reason,
                         buyer_data_erased=body.buyer_data_erased)
    return StepOut(**_step(device_id, done.event))


class SchemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: dict = Field(description="cosmetic grades, checks and rules (see workflows.grading)")


class SchemeOut(BaseModel):
    category: str
    definition: dict
    source: str = Field(description="admin, or default where no admin has set one")


@bp.get("/grading-schemes/<category>")
@operation("The grading scheme of a category (an admin's, else the default)", roles=OPERATOR_ROLES,
           response=SchemeOut, tags=("workflow",), errors=(404,))
def get_scheme(category: str):
    from itad.errors import NotFound

    key = category.strip().lower()[:60]
    found, source = grading.scheme_of(db.session, key)
    if found is None:
        raise NotFound(f"No grading scheme for the category {key}.")
    return SchemeOut(category=key, definition=found, source=source)


@bp.put("/grading-schemes/<category>")
@operation("Set a category's grading scheme", roles=("admin",), body=SchemeIn, response=SchemeOut,
           tags=("workflow",), errors=(422,))
def put_scheme(category: str, body: SchemeIn):
    row = grading.set_scheme(db.session, current_user(), category, body.definition)
    return SchemeOut(category=row.category, definition=row.definition, source="admin")


@bp.post("/devices/<int:device_id>/clear")
@operation("Clear a graded unit for resale", roles=OPERATOR_ROLES, body=None, response=StepOut,
           tags=("workflow",), errors=STEP_ERRORS)
def clear(device_id: int):
    done = disposition.clear(db.session, current_user(), device_id)
    return StepOut(**_step(device_id, done.event))


@bp.post("/devices/<int:device_id>/destroy")
@operation("Destroy a unit physically (technique, witness, time)", roles=OPERATOR_ROLES, body=DestroyIn,
           response=StepOut, tags=("workflow",), errors=STEP_ERRORS)
def destroy(device_id: int, body: DestroyIn):
    done = disposition.destroy(db.session, current_user(), device_id, technique=body.technique,
                               witness=body.witness, destroyed_at=body.destroyed_at, notes=body.notes,
                               expected_version=body.version)
    return StepOut(**_step(device_id, done.event))


@bp.get("/devices/<int:device_id>/transitions")
@operation("The moves allowed on this device now (the same table the API enforces)",
           response=TransitionsOut, tags=("workflow",), errors=(404,))
def allowed(device_id: int):
    device = _device(device_id)
    allowed, media = applying.allowed_now(db.session, current_user(), device.id)
    return TransitionsOut(device_id=device.id, state=device.state, version=device.version, allowed=allowed,
                          media=media)


@bp.post("/batches/<int:batch_id>/close")
@operation("Close a batch: lines never received become missing", roles=ADMIN, response=CloseOut,
           tags=("workflow",), errors=(403, 404, 409))
def close(batch_id: int):
    batch = batches.get_batch(db.session, current_user(), batch_id)
    return CloseOut(**closing.close_batch(db.session, current_user(), batch))
