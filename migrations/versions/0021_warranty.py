"""sale.channel and sale.warranty_until, and warranty_term: months of warranty by channel and grade

Revision ID: 0021_warranty
Revises: 0020_device_locks
"""
from alembic import op
import sqlalchemy as sa

revision = "0021_warranty"
down_revision = "0020_device_locks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sale") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=40), nullable=False, server_default="direct"))
        batch.add_column(sa.Column("warranty_until", sa.Date(), nullable=True))
    op.create_table(
        "warranty_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=2), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_warranty_term_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warranty_term")),
        sa.UniqueConstraint("channel", "grade", name="uq_warranty_term_channel_grade"),
    )


def downgrade():
    op.drop_table("warranty_term")
    with op.batch_alter_table("sale") as batch:
        batch.drop_column("warranty_until")
        batch.drop_column("channel")
