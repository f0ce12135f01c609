"""device.locks and device.locked: a phone's or tablet's lock checks (Activation Lock, FRP, MDM, carrier,
blacklist) as last recorded, and whether one of them holds it for its client

Revision ID: 0020_device_locks
Revises: 0019_quotes
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0020_device_locks"
down_revision = "0019_quotes"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("locks", _JSON, nullable=True))
        batch.add_column(sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The client's list of locked units reads only these rows.
    op.create_index("ix_device_locked", "device", ["organization_id"], postgresql_where=sa.text("locked"),
                    sqlite_where=sa.text("locked"))


def downgrade():
    op.drop_index("ix_device_locked", "device")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("locked")
        batch.drop_column("locks")
