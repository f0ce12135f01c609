"""pickups: pickup requests, the batches they carry, their sealed containers and the seals as checked at the dock

Revision ID: 0025_pickups
Revises: 0024_returns
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0025_pickups"
down_revision = "0024_returns"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "pickup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("site_address", sa.String(length=500), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=60), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("expected", _JSON, nullable=False),
        sa.Column("loading_notes", sa.String(length=1000), nullable=True),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("crew", sa.String(length=200), nullable=True),
        sa.Column("vehicle", sa.String(length=120), nullable=True),
        sa.Column("client_representative", sa.String(length=200), nullable=True),
        sa.Column("client_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("driver", sa.String(length=200), nullable=True),
        sa.Column("driver_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("fk_pickup_organization_id_organization")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"], name=op.f("fk_pickup_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup")),
    )
    op.create_index("ix_pickup_org", "pickup", ["organization_id", "id"])
    op.create_table(
        "pickup_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pickup_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pickup_id"], ["pickup.id"], name=op.f("fk_pickup_batch_pickup_id_pickup"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_pickup_batch_batch_id_batch"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_batch")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_pickup_batch_batch_id")),
    )
    op.create_index(op.f("ix_pickup_batch_pickup_id"), "pickup_batch", ["pickup_id"])
    op.create_table(
        "pickup_container",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pickup_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seal_number", sa.String(length=60), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_read", sa.String(length=60), nullable=True),
        sa.Column("seal_result", sa.String(length=16), nullable=True),
        sa.Column("check_note", sa.String(length=500), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("pieces >= 0 AND weight_kg >= 0", name=op.f("ck_pickup_container_counts")),
        sa.ForeignKeyConstraint(["pickup_id"], ["pickup.id"], name=op.f("fk_pickup_container_pickup_id_pickup"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"], name=op.f("fk_pickup_container_recorded_by_id_user_account")),
        sa.ForeignKeyConstraint(["checked_by_id"], ["user_account.id"], name=op.f("fk_pickup_container_checked_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_container")),
        sa.UniqueConstraint("pickup_id", "seal_number", name="uq_pickup_container_seal"),
    )
    op.create_index(op.f("ix_pickup_container_pickup_id"), "pickup_container", ["pickup_id"])


def downgrade():
    op.drop_table("pickup_container")
    op.drop_table("pickup_batch")
    op.drop_table("pickup")
