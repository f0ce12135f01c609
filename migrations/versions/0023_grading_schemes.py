"""grading_scheme: an admin's grading scheme per category (cosmetic grades, checks, rules)

Revision ID: 0023_grading_schemes
Revises: 0022_condition_mapping
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0023_grading_schemes"
down_revision = "0022_condition_mapping"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "grading_scheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_grading_scheme_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_scheme")),
        sa.UniqueConstraint("category", name=op.f("uq_grading_scheme_category")),
    )


def downgrade():
    op.drop_table("grading_scheme")
