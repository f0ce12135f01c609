"""documents: certificates, erasure reports and uploads kept in the database

The database storage backend (STORAGE=database, the default on PostgreSQL) keeps each document's
bytes in this table, written in the transaction of the row that names it: web and worker machines
then share nothing but the database and Redis.

Revision ID: 0010_documents
Revises: 0009_intake_keys
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_documents"
down_revision = "0009_intake_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document")),
    )


def downgrade():
    op.drop_table("document")
