"""Shapes of the device workflow API: what the bench sends, and what it reads back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from itad.api.schemas import DeviceOut, MediumOut, Out

MediaType = Literal["hdd", "ssd", "nvme", "flash", "mobile", "unknown"]
MethodName = Literal["clear", "purge", "destroy"]
HiddenAreas = Literal["none", "removed", "present", "unknown", "not_applicable"]
ToolResult = Literal["erased", "erased_with_warning", "failed"]
# Ids and versions fit the database's integer columns; a larger number names nothing and is refused here (422).
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionedIn(In):
    version: Version | None = Field(None, description="the device version you saw; a mismatch answers 409")


class ReceiveIn(In):
    serial: str | None = Field(None, min_length=1, max_length=120)
    asset_tag: str | None = Field(None, min_length=1, max_length=120)
    batch_id: Id | None = Field(None, description="limit the search to this batch; required for an unexpected unit")

    @model_validator(mode="after")
    def _scanned(self):
        if not (self.serial or self.asset_tag):
            raise ValueError("scan a serial or an asset tag")
        return self


class ReconcileIn(VersionedIn):
    manifest_device_id: Id | None = None
    accept: bool = False
    note: str | None = Field(None, max_length=500)
    # An accepted extra unit, as read off it at the bench (the asset list never described it).
    manufacturer: str | None = Field(None, max_length=120)
    model: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=60)


class WipeFields(In):
    method: MethodName
    technique: str = Field(min_length=1, max_length=40, description="overwrite, block_erase, crypto_erase, "
                           "firmware_sanitize, secure_erase, degauss, shred, ...")
    tool: str | None = Field(None, max_length=120)
    tool_version: str | None = Field(None, max_length=60)
    passes: int | None = Field(None, ge=0, le=100)
    verified_by_tool: bool | None = None
    hidden_areas: HiddenAreas | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: ToolResult = "erased"

    @model_validator(mode="after")
    def _times(self):
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class SanitizationIn(WipeFields):
    medium_id: Id | None = None
    medium_serial: str | None = Field(None, max_length=120, description="a drive found at the bench is added")
    media_type: MediaType | None = None
    medium_manufacturer: str | None = Field(None, max_length=120)
    medium_model: str | None = Field(None, max_length=200)
    capacity_bytes: int | None = Field(None, ge=0, le=2**63 - 1)
    report_text: str | None = Field(None, max_length=8_000_000, description="the tool's raw report")
    version: Version | None = None


class BulkSanitizationItem(WipeFields):
    medium_id: Id | None = None
    medium_serial: str | None = Field(None, max_length=120)
    batch_id: Id | None = None
    device_id: Id | None = Field(None, description="with medium_serial: a drive of this device not on the list "
                                  "is added (as the single endpoint does)")
    media_type: MediaType | None = None
    medium_manufacturer: str | None = Field(None, max_length=120)
    medium_model: str | None = Field(None, max_length=200)
    capacity_bytes: int | None = Field(None, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _which(self):
        if self.medium_id is None and not self.medium_serial:
            raise ValueError("name the medium: medium_id or medium_serial")
        return self


class BulkSanitizationIn(In):
    items: list[dict] = Field(min_length=1, max_length=10_000)


class MediumFactsIn(VersionedIn):
    media_type: MediaType | None = None
    manufacturer: str | None = Field(None, max_length=120)
    model: str | None = Field(None, max_length=200)
    capacity_bytes: int | None = Field(None, ge=0, le=2**62)


class VerifyIn(VersionedIn):
    medium_id: Id | None = None
    passed: bool
    notes: str | None = Field(None, max_length=2000)


class GradeIn(VersionedIn):
    grade: Literal["A", "B", "C", "D"] | None = Field(
        None, description="with checks: only to override the grade they give (then override_reason)")
    functional_checks: dict[str, bool | str | int | None] | None = None
    notes: str | None = Field(None, max_length=2000)
    cosmetic: str | None = Field(None, max_length=2, description="the scheme's cosmetic grade")
    checks: dict[str, bool | float | None] | None = Field(
        None, description="each check of the category's grading scheme: true/false, or a number")
    override_reason: str | None = Field(None, max_length=500)
    buyer_data_erased: str | None = Field(
        None, max_length=40, description="re-grading a data-bearing unit back from its buyer: the technique that "
        "erased the buyer's data (factory_reset, overwrite, crypto_erase, firmware_sanitize...)")


class DestroyIn(VersionedIn):
    technique: str = Field(min_length=1, max_length=40, description="shred, disintegrate, pulverize, incinerate, melt")
    witness: str | None = Field(None, max_length=200)
    destroyed_at: datetime | None = None
    notes: str | None = Field(None, max_length=2000)


class PolicyIn(In):
    rules: dict = Field(description="minimum_method, verification, sample_percent, verify_all_cleared, "
                        "resale_allowed, data_bearing_categories, non_data_bearing_categories, max_failed_wipes")
    note: str | None = Field(None, max_length=500)


# ---------------------------------------------------------------- out

class EventOut(Out):
    id: int
    batch_id: int
    device_id: int | None
    seq: int
    actor_id: int | None
    actor_label: str
    action: str
    from_state: str | None
    to_state: str | None
    evidence: dict | None
    created_at: datetime
    prev_hash: str
    hash: str


class RecordOut(Out):
    id: int
    medium_id: int
    attempt: int
    claimed_method: str
    effective_method: str
    decision: str
    technique: str
    tool: str | None
    tool_version: str | None
    passes: int | None
    tool_verified: bool | None
    hidden_areas: str | None
    started_at: datetime | None
    finished_at: datetime | None
    result: str
    reasons: list | None
    verification_required: bool
    operator_id: int
    operator_label: str
    report_sha256: str | None
    source: str
    created_at: datetime


class VerificationOut(Out):
    id: int
    medium_id: int
    sanitization_record_id: int
    verifier_id: int
    verifier_label: str
    result: str
    mode: str
    notes: str | None
    created_at: datetime


class MediumDetailOut(MediumOut):
    sanitizations: list[RecordOut] = []
    verifications: list[VerificationOut] = []


class GradingOut(Out):
    grade: str
    functional_checks: dict | None
    notes: str | None
    graded_by_id: int
    graded_by_label: str
    created_at: datetime


class DestructionOut(Out):
    technique: str
    witness: str | None
    destroyed_at: datetime
    notes: str | None
    performed_by_id: int
    performed_by_label: str


class DeviceWorkflowOut(DeviceOut):
    media: list[MediumDetailOut]
    grading: GradingOut | None = None
    destruction: DestructionOut | None = None


class StepOut(Out):
    device: DeviceOut
    event: EventOut | None = None


class SanitizationStepOut(StepOut):
    record: RecordOut
    medium_added: bool


class VerificationStepOut(StepOut):
    verification: VerificationOut


class ReceiptOut(StepOut):
    outcome: Literal["received", "unexpected"]


class TransitionsOut(BaseModel):
    device_id: int
    state: str
    version: int
    allowed: list[str]
    media: dict[int, list[str]]


class CloseOut(BaseModel):
    batch_id: int
    status: str
    missing: list[int]


class ChainVerifyOut(BaseModel):
    batch_id: int
    ok: bool
    events: int
    first_bad_event_id: int | None
    first_bad_seq: int | None
    reason: str | None


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None


class PolicyRowOut(Out):
    id: int
    organization_id: int
    batch_id: int | None
    rules: dict
    note: str | None
    created_by_id: int | None
    created_at: datetime


class PolicyOut(BaseModel):
    organization_id: int
    batch_id: int | None
    effective: dict
    weakens_organization_policy: list[str] = []
    history: list[PolicyRowOut]


class ItemResult(BaseModel):
    index: int
    status: Literal["applied", "rejected"]
    reason: str | None = None
    medium_id: int | None = None
    device_id: int | None = None
    state: str | None = None
    medium_added: bool = False


class BulkOut(BaseModel):
    applied: int
    rejected: int
    results: list[ItemResult]


class ErasureReportOut(BaseModel):
    report_id: int
    format: str = Field(description="nwipe, blancco, hdparm, nvme, openseachest or workbench")
    tool: str
    tool_version: str | None
    report_sha256: str
    drives: int
    applied: int
    rejected: int
    unmatched: int
    review_open: int = Field(description="drives kept in the batch's review queue (rejected and unmatched)")
    results: list[dict] = Field(description="per drive, in the report's order: status applied, rejected or "
                                "unmatched, with the reason and the report's line that shows the outcome")
    warnings: list[str] = []


class ReviewItemOut(BaseModel):
    id: int
    report_id: int
    format: str
    filename: str | None
    report_sha256: str
    position: int
    kind: str = Field(description="rejected or unmatched")
    reason: str
    drive: dict
    result: str | None = Field(description="what the report says of the erase: erased, erased_with_warning, "
                               "failed or incomplete")
    applicable: bool = Field(description="false when the report shows no finished erase: it can only be dismissed")
    medium_id: int | None
    state: str
    resolution: str | None
    resolved_at: datetime | None


class ReviewOut(BaseModel):
    open: int
    items: list[ReviewItemOut]


class ReviewQuery(In):
    state: Literal["open", "matched", "dismissed", "all"] = "open"


class ReviewMatchIn(In):
    medium_id: int = Field(ge=1, le=2**31 - 1, description="the drive of the batch the reported wipe belongs to")


class ReviewDismissIn(In):
    reason: str = Field(min_length=3, max_length=500, description="why the drive needs no record here")

class CheckpointOut(BaseModel):
    id: int
    created_at: datetime
    merkle_root: str
    batches: int = Field(description="chain heads it signs")


class CheckpointList(BaseModel):
    items: list[CheckpointOut]
