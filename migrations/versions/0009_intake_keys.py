"""intake keys: one composite foreign key from device to its batch and organization; no unused indexes

device had two foreign keys, batch_id -> batch and organization_id -> organization, checked one
after the other on every row an asset list registers, and nothing kept the organization copied
onto the device equal to its batch's. One key (batch_id, organization_id) -> batch (id,
organization_id) checks both in one lookup and keeps the copy true; the organization exists
because the batch's own key says so. Deleting a batch still deletes its devices.

Three indexes no query used go (every lookup of a serial or asset tag compares it upper-cased, or
within one batch): ix_device_org_serial, ix_device_asset_tag, ix_storage_medium_serial.

SQLite rebuilds the device table for this: migrations/env.py turns SQLite's foreign keys off
around the run (as SQLite's own procedure for table rebuilds asks), since dropping the old table
with them on would cascade-delete every row that references a device.

Revision ID: 0009_intake_keys
Revises: 0008
"""
from alembic import op

revision = "0009_intake_keys"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index('uq_batch_id_org', ['id', 'organization_id'], unique=True)

    with op.batch_alter_table('device', schema=None) as batch_op:
        # The new key first: on PostgreSQL it checks every existing device against its batch, and
        # a device whose organization is not its batch's stops the upgrade here, named.
        batch_op.create_foreign_key('fk_device_batch_org', 'batch', ['batch_id', 'organization_id'],
                                    ['id', 'organization_id'], ondelete='CASCADE')
        batch_op.drop_constraint('fk_device_organization_id_organization', type_='foreignkey')
        batch_op.drop_constraint('fk_device_batch_id_batch', type_='foreignkey')
        batch_op.drop_index('ix_device_org_serial')
        batch_op.drop_index('ix_device_asset_tag')

    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.drop_index('ix_storage_medium_serial')


def downgrade():
    with op.batch_alter_table('storage_medium', schema=None) as batch_op:
        batch_op.create_index('ix_storage_medium_serial', ['serial'], unique=False)

    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_constraint('fk_device_batch_org', type_='foreignkey')
        batch_op.create_foreign_key('fk_device_batch_id_batch', 'batch', ['batch_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_device_organization_id_organization', 'organization',
                                    ['organization_id'], ['id'])
        batch_op.create_index('ix_device_asset_tag', ['asset_tag'], unique=False)
        batch_op.create_index('ix_device_org_serial', ['organization_id', 'serial'], unique=False)

    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index('uq_batch_id_org')
