"""batch.confidentiality and batch.data_backed_up: what the client says of the data on its media

NIST SP 800-88 App. G asks, per medium, the pre-sanitization confidentiality categorization and
whether the data was backed up; only the client knows either. Both are stated per batch, at
registration or later while the batch is open; NULL means not stated, and the certificate says so.

Revision ID: 0013_batch_data_handling
Revises: 0012_erasure_reports
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_batch_data_handling"
down_revision = "0012_erasure_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("confidentiality", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("data_backed_up", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("batch") as batch:
        batch.drop_column("data_backed_up")
        batch.drop_column("confidentiality")
