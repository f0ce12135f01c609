"""quote and quote_line: a batch's buy quote, made from its asset list before the units ship

Revision ID: 0019_quotes
Revises: 0018_notifications
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0019_quotes"
down_revision = "0018_notifications"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2, asdecimal=True), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("unpriced", sa.Integer(), nullable=False),
        sa.Column("bases", _JSON, nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_quote_batch_id_batch"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_quote_organization_id_organization")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_quote_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
    )
    op.create_index("ix_quote_batch", "quote", ["batch_id", "id"])
    op.create_table(
        "quote_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("model_key", sa.String(length=330), nullable=False),
        sa.Column("expected", sa.Numeric(precision=12, scale=2, asdecimal=True), nullable=True),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("sales_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["quote_id"], ["quote.id"], name=op.f("fk_quote_line_quote_id_quote"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_quote_line_device_id_device"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_line")),
    )
    op.create_index("ix_quote_line_quote", "quote_line", ["quote_id"])
    op.create_index("ix_quote_line_device", "quote_line", ["device_id"])


def downgrade():
    op.drop_table("quote_line")
    op.drop_table("quote")
