"""snmp: probe requests and what each address said (no credential column, by design)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('snmp_probe',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('target_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_snmp_probe_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_snmp_probe_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_snmp_probe_organization_id_organization')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_snmp_probe_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snmp_probe'))
    )
    with op.batch_alter_table('snmp_probe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snmp_probe_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_snmp_probe_org_id', ['organization_id', 'id'], unique=False)

    op.create_table('snmp_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('probe_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=4), nullable=False),
    sa.Column('expected_device_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sys_descr', sa.Text(), nullable=True),
    sa.Column('sys_object_id', sa.String(length=255), nullable=True),
    sa.Column('sys_name', sa.String(length=255), nullable=True),
    sa.Column('sys_uptime', sa.BigInteger(), nullable=True),
    sa.Column('chassis_serial', sa.String(length=255), nullable=True),
    sa.Column('model', sa.String(length=255), nullable=True),
    sa.Column('manufacturer', sa.String(length=255), nullable=True),
    sa.Column('entities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('storage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('media', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_message', sa.Text(), nullable=True),
    sa.Column('manifest_serial', sa.String(length=255), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('probed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_snmp_result_device_id_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expected_device_id'], ['device.id'], name=op.f('fk_snmp_result_expected_device_id_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_snmp_result_organization_id_organization')),
    sa.ForeignKeyConstraint(['probe_id'], ['snmp_probe.id'], name=op.f('fk_snmp_result_probe_id_snmp_probe'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snmp_result')),
    sa.UniqueConstraint('probe_id', 'position', name='uq_snmp_result_probe_position')
    )
    with op.batch_alter_table('snmp_result', schema=None) as batch_op:
        batch_op.create_index('ix_snmp_result_device', ['device_id'], unique=False)
        batch_op.create_index('ix_snmp_result_expected_device', ['expected_device_id'], unique=False)



def downgrade():
    with op.batch_alter_table('snmp_result', schema=None) as batch_op:
        batch_op.drop_index('ix_snmp_result_expected_device')
        batch_op.drop_index('ix_snmp_result_device')

    op.drop_table('snmp_result')
    with op.batch_alter_table('snmp_probe', schema=None) as batch_op:
        batch_op.drop_index('ix_snmp_probe_org_id')
        batch_op.drop_index(batch_op.f('ix_snmp_probe_batch_id'))

    op.drop_table('snmp_probe')
