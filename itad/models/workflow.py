"""What the bench records about each device: the client's policy, wipes, verifications, grades, destruction.

Rows here are append-only facts. The device and medium `state` columns are the current position in the
workflow (workflows.machine); these tables say who did what, with which tool, so a certificate can print
one line per device and medium (performed by, verified by, method, technique, tool, verification,
destination) without reading the custody log.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import JSONType, db, utcnow


class SanitizationPolicy(db.Model):
    """A client's policy as set by an admin. Never updated: a change is a new row, so history stays.

    batch_id NULL: the organization's policy (the latest row wins). batch_id set: an override for that
    batch, holding only the fields it changes (merged over the organization's policy).
    """

    __tablename__ = "sanitization_policy"
    __table_args__ = (sa.Index("ix_sanitization_policy_org_batch", "organization_id", "batch_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    rules: Mapped[dict] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class SanitizationRecord(db.Model):
    """One wipe attempt on one medium, as claimed and as assessed (workflows.sanitization)."""

    __tablename__ = "sanitization_record"
    __table_args__ = (
        sa.UniqueConstraint("medium_id", "attempt", name="uq_sanitization_record_medium_attempt"),
        sa.Index("ix_sanitization_record_device", "device_id"),
        sa.Index("ix_sanitization_record_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    medium_id: Mapped[int] = mapped_column(sa.ForeignKey("storage_medium.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column()
    claimed_method: Mapped[str] = mapped_column(sa.String(16))
    # What an auditor accepts: may be lower than claimed (downgraded); NULL never stored (refused
    # records are not stored, the request is answered with the reasons).
    effective_method: Mapped[str] = mapped_column(sa.String(16))
    decision: Mapped[str] = mapped_column(sa.String(16))  # accepted, downgraded
    technique: Mapped[str] = mapped_column(sa.String(40))
    tool: Mapped[str | None] = mapped_column(sa.String(120))
    tool_version: Mapped[str | None] = mapped_column(sa.String(60))
    passes: Mapped[int | None] = mapped_column()
    tool_verified: Mapped[bool | None] = mapped_column()
    # HPA/DCO as the tool saw them: none, removed, present, unknown, not_applicable
    hidden_areas: Mapped[str | None] = mapped_column(sa.String(16))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    result: Mapped[str] = mapped_column(sa.String(24))  # erased, erased_with_warning, failed
    reasons: Mapped[list | None] = mapped_column(JSONType)
    # Decided by the policy's sampling when the record is made (workflows.sampling).
    verification_required: Mapped[bool] = mapped_column(default=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    operator_label: Mapped[str] = mapped_column(sa.String(200))
    # The raw tool report, stored under STORAGE_DIR by its SHA-256.
    report_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16), default="api")  # api, bulk, nwipe
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Verification(db.Model):
    """A second person's check of one wipe (four-eyes)."""

    __tablename__ = "verification"
    __table_args__ = (sa.Index("ix_verification_medium", "medium_id"),
                      sa.Index("ix_verification_device", "device_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    medium_id: Mapped[int] = mapped_column(sa.ForeignKey("storage_medium.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    sanitization_record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sanitization_record.id", ondelete="CASCADE"))
    verifier_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    verifier_label: Mapped[str] = mapped_column(sa.String(200))
    result: Mapped[str] = mapped_column(sa.String(16))  # passed, failed
    mode: Mapped[str] = mapped_column(sa.String(16))  # full, sampled
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class DeviceGrading(db.Model):
    """The cosmetic and functional grade that decides what a cleared unit sells for. A unit returned by its buyer
    is graded again: a new row (`latest_grading`); the one it was sold on stays, as the sale names it."""

    __tablename__ = "device_grading"
    __table_args__ = (sa.Index("ix_device_grading_device", "device_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    grade: Mapped[str] = mapped_column(sa.String(2))  # A, B, C, D
    functional_checks: Mapped[dict | None] = mapped_column(JSONType)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    graded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    graded_by_label: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


def latest_grading(device_id):
    """The statement for a device's current grading (its latest; `device_id` a value or a correlated column)."""
    return sa.select(DeviceGrading).where(DeviceGrading.device_id == device_id) \
        .order_by(DeviceGrading.id.desc()).limit(1)


def latest_grading_ids():
    """A subquery of each graded device's latest grading id, to join (DeviceGrading.id.in_(...))."""
    return sa.select(sa.func.max(DeviceGrading.id)).group_by(DeviceGrading.device_id)


class Destruction(db.Model):
    """Physical destruction of a device and every medium in it: a terminal, certified state."""

    __tablename__ = "destruction"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"), unique=True)
    technique: Mapped[str] = mapped_column(sa.String(40))  # shred, disintegrate, pulverize...
    witness: Mapped[str | None] = mapped_column(sa.String(200))
    destroyed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    performed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    performed_by_label: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class GradingScheme(db.Model):
    """An admin's grading scheme for one category (workflows.grading); categories without one use the defaults."""

    __tablename__ = "grading_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(60), unique=True)
    definition: Mapped[dict] = mapped_column(JSONType)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
