"""erasure_report and erasure_review_item: imported erasure reports and the drives still to resolve

Every report a technician imports is kept (its bytes in the document store by SHA-256); each of its drives
that was not applied (rejected, or matching no drive of the batch) waits in the review queue until it is
matched to a drive or dismissed with a reason. An open item keeps the batch from closing.

Revision ID: 0012_erasure_reports
Revises: 0011_medium_review
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0012_erasure_reports"
down_revision = "0011_medium_review"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erasure_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("tool", sa.String(length=120), nullable=False),
        sa.Column("tool_version", sa.String(length=60), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.Column("drives", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_erasure_report_batch_id_batch"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                                name=op.f("fk_erasure_report_uploaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_report")),
    )
    op.create_index("ix_erasure_report_batch", "erasure_report", ["batch_id"])
    op.create_table(
        "erasure_review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("drive", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("item", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("medium_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["erasure_report.id"],
                                name=op.f("fk_erasure_review_item_report_id_erasure_report"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_erasure_review_item_batch_id_batch"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["medium_id"], ["storage_medium.id"],
                                name=op.f("fk_erasure_review_item_medium_id_storage_medium"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["user_account.id"],
                                name=op.f("fk_erasure_review_item_resolved_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_review_item")),
    )
    op.create_index("ix_erasure_review_batch_state", "erasure_review_item", ["batch_id", "state"])
    op.create_index(op.f("ix_erasure_review_item_report_id"), "erasure_review_item", ["report_id"])


def downgrade():
    op.drop_table("erasure_review_item")
    op.drop_table("erasure_report")
