"""What is not serialized, and where material goes after us: lots counted or weighed by batch, downstream vendors and
their certifications, outbound shipments of material streams, and the published factors the environmental summary
uses (itad.downstream)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from itad.models.base import UTCDateTime, db, utcnow

Kg = sa.Numeric(12, 2, asdecimal=True)


class MaterialLot(db.Model):
    """Loose drives, tapes, cables, peripherals, e-waste of one batch: as declared at the site (on the pickup
    manifest) and as counted and weighed at our dock. Loose drives must each end wiped or destroyed, or be reported
    missing with the reason."""

    __tablename__ = "material_lot"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "category", name="uq_material_lot_batch_category"),
        sa.CheckConstraint("coalesce(declared_count, 0) >= 0 AND coalesce(received_count, 0) >= 0 AND "
                           "wiped >= 0 AND destroyed >= 0 AND reported_missing >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(sa.String(60))
    declared_count: Mapped[int | None] = mapped_column()
    declared_weight_kg: Mapped[Decimal | None] = mapped_column(Kg)
    received_count: Mapped[int | None] = mapped_column()
    received_weight_kg: Mapped[Decimal | None] = mapped_column(Kg)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Totals; each accounting step's techniques and reason are its custody event (downstream.pieces_accounted).
    wiped: Mapped[int] = mapped_column(default=0)
    destroyed: Mapped[int] = mapped_column(default=0)
    reported_missing: Mapped[int] = mapped_column(default=0)
    # When its material went into the outbound streams (shredded, separated): it is no longer stock.
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DownstreamVendor(db.Model):
    __tablename__ = "downstream_vendor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VendorCertification(db.Model):
    """R2v3, e-Stewards or ISO 14001, valid from one day to its expiry day (both counted)."""

    __tablename__ = "vendor_certification"
    __table_args__ = (sa.CheckConstraint("expires_on >= valid_from", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("downstream_vendor.id", ondelete="CASCADE"), index=True)
    standard: Mapped[str] = mapped_column(sa.String(20))
    certificate_number: Mapped[str] = mapped_column(sa.String(80))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundShipment(db.Model):
    """A material stream shipped by weight to a downstream vendor, under the certification valid that day."""

    __tablename__ = "outbound_shipment"
    __table_args__ = (sa.CheckConstraint("weight_kg > 0", name="weight"),
                      sa.Index("ix_outbound_shipment_shipped_on", "shipped_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("downstream_vendor.id"), index=True)
    certification_id: Mapped[int] = mapped_column(sa.ForeignKey("vendor_certification.id"))
    stream: Mapped[str] = mapped_column(sa.String(60))           # circuit boards, plastics, batteries, CRT glass...
    purpose: Mapped[str] = mapped_column(sa.String(16))           # recycling, reuse
    weight_kg: Mapped[Decimal] = mapped_column(Kg)
    shipped_on: Mapped[date] = mapped_column(sa.Date)
    reference: Mapped[str | None] = mapped_column(sa.String(120))  # the shipment's own bill of lading
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShipmentAllocation(db.Model):
    """How much of a shipment's weight came from one batch (a stream is commingled across batches)."""

    __tablename__ = "shipment_allocation"
    __table_args__ = (sa.UniqueConstraint("shipment_id", "batch_id", name="uq_shipment_allocation_batch"),
                      sa.CheckConstraint("weight_kg > 0", name="weight"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("outbound_shipment.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"), index=True)
    weight_kg: Mapped[Decimal] = mapped_column(Kg)


class ImpactFactor(db.Model):
    """Per category: the greenhouse gas a unit reused instead of a new one avoids, with the published source of the
    figure, as an admin sets it (defaults in itad.downstream.impact)."""

    __tablename__ = "impact_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(60), unique=True)
    co2e_avoided_kg: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2, asdecimal=True))
    source: Mapped[str] = mapped_column(sa.String(500))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
