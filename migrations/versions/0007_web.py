"""web sign-in: failed sign-ins by address (the per-IP limit)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "failed_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_sign_in")),
    )
    op.create_index("ix_failed_sign_in_address_at", "failed_sign_in", ["address", "at"], unique=False)


def downgrade():
    op.drop_index("ix_failed_sign_in_address_at", table_name="failed_sign_in")
    op.drop_table("failed_sign_in")
