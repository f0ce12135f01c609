"""storage_medium.review_reason: a drive whose facts a person must look at

Set when a wipe's or a report's facts contradict what the asset list or the bench said of the drive
(another model, capacity or type for the same serial): the stored facts are kept, not overwritten,
and this says what disagreed.

Revision ID: 0011_medium_review
Revises: 0010_documents
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_medium_review"
down_revision = "0010_documents"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("storage_medium") as batch:
        batch.add_column(sa.Column("review_reason", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("storage_medium") as batch:
        batch.drop_column("review_reason")
