"""Resale stock: the units cleared for resale, what they sold for, and each client's share.

Money is Decimal in Numeric(12,2) columns, with its ISO 4217 currency code beside it. Sums are made
in Python with Decimal, never with SQL SUM: SQLite keeps NUMERIC as a binary float.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from itad.models.base import JSONType, UTCDateTime, db, utcnow

Money = sa.Numeric(12, 2, asdecimal=True)


class StockStatus(str, enum.Enum):
    available = "available"      # sellable now
    reserved = "reserved"        # held for one buyer; sellable to that buyer
    sold = "sold"
    withdrawn = "withdrawn"      # certificate revoked or sanitization reopened: never sellable
    returned = "returned"        # sold, then came back (a Return): a re-listing is a new row


class InventoryItem(db.Model):
    """One listing of a unit in resale stock, made when the device is listed. A unit sold and returned is
    listed again as a new row; the old one keeps its sale and becomes `returned`. So a device has at most
    one row that is not `returned` (a partial unique index: the database holds the rule)."""

    __tablename__ = "inventory_item"
    __table_args__ = (
        sa.Index("uq_inventory_item_device_live", "device_id", unique=True,
                 sqlite_where=sa.text("status <> 'returned'"), postgresql_where=sa.text("status <> 'returned'")),
        sa.Index("ix_inventory_item_device", "device_id"),
        sa.Index("ix_inventory_item_status_sku", "status", "sku"),
        sa.Index("ix_inventory_item_org", "organization_id", "id"),
        sa.Index("ix_inventory_item_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    # The client whose unit it is (the settlement pays them), copied for one-column tenant filters.
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    sku: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str | None] = mapped_column(sa.String(60))
    manufacturer: Mapped[str | None] = mapped_column(sa.String(120))
    model: Mapped[str | None] = mapped_column(sa.String(200))
    grade: Mapped[str | None] = mapped_column(sa.String(2))
    # Manifest attributes and bench findings (grade, functional checks, media) at listing time.
    specs: Mapped[dict | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(sa.String(16), default=StockStatus.available.value)
    location: Mapped[str | None] = mapped_column(sa.String(120))
    # The operator's asking price; the listing feed falls back to the suggested price.
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    reserved_for: Mapped[str | None] = mapped_column(sa.String(200))
    reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.String(500))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    listed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    sale: Mapped["Sale | None"] = relationship(back_populates="item", uselist=False)


class Sale(db.Model):
    """One unit sold. SKU, model and grade are copied so price history never moves with later edits."""

    __tablename__ = "sale"
    __table_args__ = (
        sa.Index("ix_sale_sku_sold_on", "sku", "sold_on"),
        sa.Index("ix_sale_model_key_sold_on", "model_key", "sold_on"),
        sa.Index("ix_sale_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("inventory_item.id", ondelete="CASCADE"), unique=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    sku: Mapped[str] = mapped_column(sa.String(200))
    # "MAKE|MODEL" normalised: the model-only fallback of the price suggestion.
    model_key: Mapped[str] = mapped_column(sa.String(330))
    grade: Mapped[str | None] = mapped_column(sa.String(2))
    price: Mapped[Decimal] = mapped_column(Money)
    # What the sales channel kept (marketplace commission, payment fees); deducted before the split.
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    buyer_reference: Mapped[str] = mapped_column(sa.String(200))
    sold_on: Mapped[date] = mapped_column(sa.Date)
    # Where it was sold (a marketplace, a trade buyer, direct) and, by its grade and channel, the last day of
    # its warranty (itad.inventory.warranty).
    channel: Mapped[str] = mapped_column(sa.String(40), default="direct", server_default="direct")
    warranty_until: Mapped[date | None] = mapped_column(sa.Date)
    # The grading the unit was sold on (its latest when sold): whose grades come back is the quality report's.
    grading_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device_grading.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[InventoryItem] = relationship(back_populates="sale")


class SaleReturn(db.Model):
    """A sold unit that came back from its buyer under warranty (an RMA), and why. One per sale: a unit sold
    again and returned again is a second sale and a second return. What the return took back from the
    proceeds (`refund` to the buyer, less `fee_returned` by the sales channel) comes off the settlement."""

    __tablename__ = "sale_return"
    __table_args__ = (
        sa.Index("ix_sale_return_device", "device_id"),
        sa.Index("ix_sale_return_batch", "batch_id"),
        sa.CheckConstraint("refund >= 0 AND fee_returned >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(sa.ForeignKey("sale.id", ondelete="CASCADE"), unique=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    reason_code: Mapped[str] = mapped_column(sa.String(24))      # itad.inventory.returns.REASONS
    reason: Mapped[str | None] = mapped_column(sa.String(500))    # the buyer's words, or the operator's
    returned_on: Mapped[date] = mapped_column(sa.Date)
    refund: Mapped[Decimal] = mapped_column(Money)
    fee_returned: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def kept():
    """Where a sale was not returned: only a price that stuck is a price realised (quotes, suggestions)."""
    return ~sa.exists().where(SaleReturn.sale_id == Sale.id)


class SettlementTerms(db.Model):
    """A client's share of resale proceeds, in percent of the net (gross less fees). One row per client."""

    __tablename__ = "settlement_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), unique=True)
    client_share_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Quote(db.Model):
    """A buy quote: what a batch's units are expected to fetch, made from its asset list before they ship
    (itad.inventory.quotes). Kept as made; a later quote of the same batch is a new row."""

    __tablename__ = "quote"
    __table_args__ = (sa.Index("ix_quote_batch", "batch_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    as_of: Mapped[date] = mapped_column(sa.Date)             # the history it rests on ends the day before
    total: Mapped[Decimal] = mapped_column(Money)            # the sum of the lines that have a value
    lines: Mapped[int] = mapped_column()
    unpriced: Mapped[int] = mapped_column()                  # lines nothing in the history could price
    aged: Mapped[int] = mapped_column(server_default="0")    # lines whose purchase date moved their value
    # {"model": n, "family": n, "category": n, "none": n}: how many lines rest on which basis
    bases: Mapped[dict] = mapped_column(JSONType)
    method: Mapped[str] = mapped_column(sa.String(200))      # the estimator and its settings, as printed
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuoteLine(db.Model):
    """One asset-list line's expected recovery value, and what it rests on."""

    __tablename__ = "quote_line"
    __table_args__ = (sa.Index("ix_quote_line_quote", "quote_id"), sa.Index("ix_quote_line_device", "device_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("quote.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(sa.String(60))
    model_key: Mapped[str] = mapped_column(sa.String(330))
    expected: Mapped[Decimal | None] = mapped_column(Money)   # None: nothing to go on (basis "none")
    basis: Mapped[str] = mapped_column(sa.String(16))         # model, family, category, none
    sales_count: Mapped[int] = mapped_column()
    # The purchase date the asset list gives (itad.inventory.purchase_dates), what the unit's age multiplied the
    # quote by (None: not used), and why a date written in the list was not used (ambiguous, not a date...).
    purchased_on: Mapped[date | None] = mapped_column(sa.Date)
    age_factor: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 4))
    age_note: Mapped[str | None] = mapped_column(sa.Text)


class WarrantyTerm(db.Model):
    """How many months of warranty a unit sold through `channel` carries, for one grade or (grade NULL) any."""

    __tablename__ = "warranty_term"
    __table_args__ = (sa.UniqueConstraint("channel", "grade", name="uq_warranty_term_channel_grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(40))
    grade: Mapped[str | None] = mapped_column(sa.String(2))
    months: Mapped[int] = mapped_column()
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConditionMapping(db.Model):
    """What a marketplace calls one of our grades ("backmarket", "A" -> "Excellent"), as an admin sets it."""

    __tablename__ = "condition_mapping"
    __table_args__ = (sa.UniqueConstraint("marketplace", "grade", name="uq_condition_mapping_marketplace_grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[str] = mapped_column(sa.String(40))
    grade: Mapped[str] = mapped_column(sa.String(2))
    condition: Mapped[str] = mapped_column(sa.String(60))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
