"""SNMP identification of network-attached assets: who asked to probe which addresses, and what each said.

No credential is ever a column here. A probe's communities and v3 keys travel only inside its job's
arguments, encrypted (itad.discovery.credentials), and are dropped when the job ends.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itad.models.base import JSONType, UTCDateTime, db, utcnow

# What became of one address (itad.discovery.recording.status_of): pending until the job has run.
PROBE_STATUSES = ("pending", "ok", "unreachable", "timeout", "garbage", "auth-failed", "refused", "error")
# How the device's own serial compares with the batch's manifest; NULL when no batch was named.
OUTCOMES = ("confirmed", "mismatched", "unexpected", "unidentified")


class SnmpProbe(db.Model):
    """One request to probe a set of addresses, optionally against one batch's manifest."""

    __tablename__ = "snmp_probe"
    __table_args__ = (sa.Index("ix_snmp_probe_org_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The batch's client when a batch is named (so the client reads the results), else the operator.
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # NULL when run in-process from the CLI.
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="SET NULL"))
    target_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    results: Mapped[list["SnmpResult"]] = relationship(back_populates="probe", order_by="SnmpResult.position")


class SnmpResult(db.Model):
    """One address of a probe: what the device said about itself and how it fits the manifest."""

    __tablename__ = "snmp_result"
    __table_args__ = (
        sa.UniqueConstraint("probe_id", "position", name="uq_snmp_result_probe_position"),
        sa.Index("ix_snmp_result_device", "device_id"),
        sa.Index("ix_snmp_result_expected_device", "expected_device_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    probe_id: Mapped[int] = mapped_column(sa.ForeignKey("snmp_probe.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()  # order in the request
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    address: Mapped[str] = mapped_column(sa.String(255))
    port: Mapped[int] = mapped_column(default=161)
    version: Mapped[str] = mapped_column(sa.String(4))  # 1, 2c, 3
    # The device the operator says sits at this address (optional).
    expected_device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    error: Mapped[str | None] = mapped_column(sa.Text)
    sys_descr: Mapped[str | None] = mapped_column(sa.Text)
    sys_object_id: Mapped[str | None] = mapped_column(sa.String(255))
    sys_name: Mapped[str | None] = mapped_column(sa.String(255))
    sys_uptime: Mapped[int | None] = mapped_column(sa.BigInteger)  # hundredths of a second (TimeTicks)
    chassis_serial: Mapped[str | None] = mapped_column(sa.String(255))
    model: Mapped[str | None] = mapped_column(sa.String(255))
    manufacturer: Mapped[str | None] = mapped_column(sa.String(255))
    entities: Mapped[list | None] = mapped_column(JSONType)
    storage: Mapped[list | None] = mapped_column(JSONType)
    # Data-bearing media found, each with the StorageMedium it was recorded as (or why not).
    media: Mapped[list | None] = mapped_column(JSONType)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    outcome_message: Mapped[str | None] = mapped_column(sa.Text)
    manifest_serial: Mapped[str | None] = mapped_column(sa.String(255))  # the expected device's, on a mismatch
    # The manifest device whose serial the device reported.
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device.id", ondelete="SET NULL"))
    seconds: Mapped[float | None] = mapped_column(sa.Float)
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    probe: Mapped[SnmpProbe] = relationship(back_populates="results")
