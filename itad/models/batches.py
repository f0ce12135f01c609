"""What the client hands over: a batch of devices, and the storage media they carry."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itad.models.base import UTCDateTime, JSONType, db, utcnow


class BatchStatus(str, enum.Enum):
    open = "open"
    closed = "closed"


class Batch(db.Model):
    __tablename__ = "batch"
    __table_args__ = (
        # Idempotent intake: one batch per client per uploaded file content.
        sa.UniqueConstraint("organization_id", "source_sha256", name="uq_batch_org_source"),
        # What device's foreign key names: a device's batch AND its organization (see Device).
        sa.Index("uq_batch_id_org", "id", "organization_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16), default=BatchStatus.open.value, index=True)
    source_filename: Mapped[str | None] = mapped_column(sa.String(255))
    source_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    device_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the client says of the data on its media (NIST SP 800-88 App. G): the confidentiality
    # categorization before sanitization (FIPS 199: low, moderate, high) and whether the data was backed
    # up. NULL: the client has not said, and the certificate says so.
    confidentiality: Mapped[str | None] = mapped_column(sa.String(16))
    data_backed_up: Mapped[bool | None] = mapped_column()

    organization = relationship("Organization", lazy="joined")


class Device(db.Model):
    __tablename__ = "device"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "serial", name="uq_device_batch_serial"),
        sa.Index("ix_device_batch_state", "batch_id", "state"),
        # One key for both: the batch exists AND the organization is the batch's own, checked in
        # one index lookup per row where two foreign keys took two (and never compared them).
        # The organization exists because the batch's own key says so.
        sa.ForeignKeyConstraint(["batch_id", "organization_id"], ["batch.id", "batch.organization_id"],
                                name="fk_device_batch_org", ondelete="CASCADE"),
        sa.Index("ix_device_locked", "organization_id", postgresql_where=sa.text("locked"),
                 sqlite_where=sa.text("locked")),
    )
    # No index on serial or asset tag alone: every lookup compares them upper-cased (receiving,
    # search) or within a batch (uq_device_batch_serial, ix_device_batch_state), and each index is
    # paid for on every row of every asset list registered.

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column()
    # Copied from the batch so every tenant filter is one column; fk_device_batch_org keeps the copy true.
    organization_id: Mapped[int] = mapped_column()
    serial: Mapped[str] = mapped_column(sa.String(120))
    asset_tag: Mapped[str | None] = mapped_column(sa.String(120))
    manufacturer: Mapped[str | None] = mapped_column(sa.String(120))
    model: Mapped[str | None] = mapped_column(sa.String(200))
    category: Mapped[str | None] = mapped_column(sa.String(60))
    state: Mapped[str] = mapped_column(sa.String(24), default="registered")
    # Row number in the client's file; NULL for a device found at receiving.
    manifest_row: Mapped[int | None] = mapped_column()
    # Columns of the asset list the server has no field for, kept as given.
    attributes: Mapped[dict | None] = mapped_column(JSONType)
    # A phone's or tablet's lock checks as last recorded (workflows.mobile): {kind: {status, source, by, at}},
    # and the client's instruction about a locked unit. Each recording is a custody event too.
    locks: Mapped[dict | None] = mapped_column(JSONType)
    # One of them is `locked`: the unit waits in its client's list of locked devices.
    locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Optimistic lock: every state change bumps it (see workflows).
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    # Joined on batch_id alone (the primary key), so a device's batch comes from the identity map
    # when loaded already; the derived join over both columns of fk_device_batch_org would be a
    # query per device.
    batch: Mapped[Batch] = relationship(primaryjoin="Batch.id == foreign(Device.batch_id)")
    media: Mapped[list["StorageMedium"]] = relationship(
        back_populates="device", order_by="StorageMedium.id"
    )

    __mapper_args__ = {"version_id_col": version}


class StorageMedium(db.Model):
    """One data-bearing medium inside a device: each is sanitized on its own."""

    __tablename__ = "storage_medium"
    # No index on serial: drives are matched by upper(serial) or within a batch, never by serial as
    # written, and the index cost every registered list a write per drive.

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(
        sa.ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    serial: Mapped[str | None] = mapped_column(sa.String(120))
    # hdd, ssd, nvme, flash, mobile, unknown
    media_type: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    manufacturer: Mapped[str | None] = mapped_column(sa.String(120))
    model: Mapped[str | None] = mapped_column(sa.String(200))
    capacity_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Where we learned of it: manifest, bench, snmp, erasure report.
    source: Mapped[str] = mapped_column(sa.String(16), default="manifest")
    # pending, sanitized, verified, failed, destroyed
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    failed_wipes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Why a person must look at the drive's facts: a wipe or a report said another type, make, model or
    # capacity than the list or the bench did. The stored facts stay as they were (itad.steps.planning).
    review_reason: Mapped[str | None] = mapped_column(sa.String(500))

    device: Mapped[Device] = relationship(back_populates="media")
