"""custody_checkpoint: the signed heads of the custody chains

A periodic job (and `itad audit checkpoint`) records the head (seq, hash) of every open chain and of every
chain that grew since the last checkpoint, their Merkle root, and the operator key's signature over it;
docs/custody-chain.md specifies the format.

Revision ID: 0014_custody_checkpoints
Revises: 0013_batch_data_handling
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0014_custody_checkpoints"
down_revision = "0013_batch_data_handling"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "custody_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heads", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("merkle_root", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("signing_key_id", sa.Integer(), nullable=False),
        sa.Column("timestamp_token", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["signing_key_id"], ["signing_key.id"],
                                name=op.f("fk_custody_checkpoint_signing_key_id_signing_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_checkpoint")),
    )


def downgrade():
    op.drop_table("custody_checkpoint")
