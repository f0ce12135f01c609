"""workflow tables: the client's sanitization policy, wipe records, verifications, grading, destruction

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sanitization_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_sanitization_policy_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_sanitization_policy_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_sanitization_policy_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanitization_policy'))
    )
    with op.batch_alter_table('sanitization_policy', schema=None) as batch_op:
        batch_op.create_index('ix_sanitization_policy_org_batch', ['organization_id', 'batch_id', 'id'], unique=False)

    op.create_table('destruction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('technique', sa.String(length=40), nullable=False),
    sa.Column('witness', sa.String(length=200), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('performed_by_id', sa.Integer(), nullable=False),
    sa.Column('performed_by_label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_destruction_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['performed_by_id'], ['user_account.id'], name=op.f('fk_destruction_performed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction')),
    sa.UniqueConstraint('device_id', name=op.f('uq_destruction_device_id'))
    )
    op.create_table('device_grading',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=2), nullable=False),
    sa.Column('functional_checks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('graded_by_id', sa.Integer(), nullable=False),
    sa.Column('graded_by_label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_grading_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['graded_by_id'], ['user_account.id'], name=op.f('fk_device_grading_graded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_grading')),
    sa.UniqueConstraint('device_id', name=op.f('uq_device_grading_device_id'))
    )
    op.create_table('sanitization_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('medium_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('claimed_method', sa.String(length=16), nullable=False),
    sa.Column('effective_method', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('technique', sa.String(length=40), nullable=False),
    sa.Column('tool', sa.String(length=120), nullable=True),
    sa.Column('tool_version', sa.String(length=60), nullable=True),
    sa.Column('passes', sa.Integer(), nullable=True),
    sa.Column('tool_verified', sa.Boolean(), nullable=True),
    sa.Column('hidden_areas', sa.String(length=16), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.String(length=24), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('verification_required', sa.Boolean(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('operator_label', sa.String(length=200), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_sanitization_record_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_sanitization_record_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['medium_id'], ['storage_medium.id'], name=op.f('fk_sanitization_record_medium_id_storage_medium'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['user_account.id'], name=op.f('fk_sanitization_record_operator_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanitization_record')),
    sa.UniqueConstraint('medium_id', 'attempt', name='uq_sanitization_record_medium_attempt')
    )
    with op.batch_alter_table('sanitization_record', schema=None) as batch_op:
        batch_op.create_index('ix_sanitization_record_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_sanitization_record_device', ['device_id'], unique=False)

    op.create_table('verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('medium_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('sanitization_record_id', sa.Integer(), nullable=False),
    sa.Column('verifier_id', sa.Integer(), nullable=False),
    sa.Column('verifier_label', sa.String(length=200), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_verification_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['medium_id'], ['storage_medium.id'], name=op.f('fk_verification_medium_id_storage_medium'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sanitization_record_id'], ['sanitization_record.id'], name=op.f('fk_verification_sanitization_record_id_sanitization_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verifier_id'], ['user_account.id'], name=op.f('fk_verification_verifier_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification'))
    )
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.create_index('ix_verification_device', ['device_id'], unique=False)
        batch_op.create_index('ix_verification_medium', ['medium_id'], unique=False)



def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_medium')
        batch_op.drop_index('ix_verification_device')

    op.drop_table('verification')
    with op.batch_alter_table('sanitization_record', schema=None) as batch_op:
        batch_op.drop_index('ix_sanitization_record_device')
        batch_op.drop_index('ix_sanitization_record_batch')

    op.drop_table('sanitization_record')
    op.drop_table('device_grading')
    op.drop_table('destruction')
    with op.batch_alter_table('sanitization_policy', schema=None) as batch_op:
        batch_op.drop_index('ix_sanitization_policy_org_batch')

    op.drop_table('sanitization_policy')
