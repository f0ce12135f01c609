"""condition_mapping: what each marketplace calls our grades, for its listing feed

Revision ID: 0022_condition_mapping
Revises: 0021_warranty
"""
from alembic import op
import sqlalchemy as sa

revision = "0022_condition_mapping"
down_revision = "0021_warranty"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "condition_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("marketplace", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=2), nullable=False),
        sa.Column("condition", sa.String(length=60), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_condition_mapping_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_mapping")),
        sa.UniqueConstraint("marketplace", "grade", name="uq_condition_mapping_marketplace_grade"),
    )


def downgrade():
    op.drop_table("condition_mapping")
