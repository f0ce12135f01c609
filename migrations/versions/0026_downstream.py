"""downstream: material lots by batch, downstream vendors and their certifications, outbound shipments and their
allocation to batches, impact factors

Revision ID: 0026_downstream
Revises: 0025_pickups
"""
from alembic import op
import sqlalchemy as sa


revision = '0026_downstream'
down_revision = '0025_pickups'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('downstream_vendor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_downstream_vendor')),
    sa.UniqueConstraint('name', name=op.f('uq_downstream_vendor_name'))
    )
    op.create_table('vendor_certification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('standard', sa.String(length=20), nullable=False),
    sa.Column('certificate_number', sa.String(length=80), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expires_on >= valid_from', name=op.f('ck_vendor_certification_dates')),
    sa.ForeignKeyConstraint(['vendor_id'], ['downstream_vendor.id'], name=op.f('fk_vendor_certification_vendor_id_downstream_vendor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_certification'))
    )
    with op.batch_alter_table('vendor_certification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_certification_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('impact_factor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('co2e_avoided_kg', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_impact_factor_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_factor')),
    sa.UniqueConstraint('category', name=op.f('uq_impact_factor_category'))
    )
    op.create_table('outbound_shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('stream', sa.String(length=60), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight_kg > 0', name=op.f('ck_outbound_shipment_weight')),
    sa.ForeignKeyConstraint(['certification_id'], ['vendor_certification.id'], name=op.f('fk_outbound_shipment_certification_id_vendor_certification')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_outbound_shipment_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['vendor_id'], ['downstream_vendor.id'], name=op.f('fk_outbound_shipment_vendor_id_downstream_vendor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_shipment'))
    )
    with op.batch_alter_table('outbound_shipment', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_shipment_shipped_on', ['shipped_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_shipment_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('material_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('declared_count', sa.Integer(), nullable=True),
    sa.Column('declared_weight_kg', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('received_count', sa.Integer(), nullable=True),
    sa.Column('received_weight_kg', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('wiped', sa.Integer(), nullable=False),
    sa.Column('destroyed', sa.Integer(), nullable=False),
    sa.Column('destruction_technique', sa.String(length=40), nullable=True),
    sa.Column('reported_missing', sa.Integer(), nullable=False),
    sa.Column('missing_reason', sa.String(length=500), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('coalesce(declared_count, 0) >= 0 AND coalesce(received_count, 0) >= 0 AND wiped >= 0 AND destroyed >= 0 AND reported_missing >= 0', name=op.f('ck_material_lot_counts')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_material_lot_batch_id_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_lot')),
    sa.UniqueConstraint('batch_id', 'category', name='uq_material_lot_batch_category')
    )
    with op.batch_alter_table('material_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_lot_batch_id'), ['batch_id'], unique=False)

    op.create_table('shipment_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('weight_kg > 0', name=op.f('ck_shipment_allocation_weight')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_shipment_allocation_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['outbound_shipment.id'], name=op.f('fk_shipment_allocation_shipment_id_outbound_shipment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_allocation')),
    sa.UniqueConstraint('shipment_id', 'batch_id', name='uq_shipment_allocation_batch')
    )
    with op.batch_alter_table('shipment_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_allocation_batch_id'), ['batch_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shipment_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_allocation_batch_id'))

    op.drop_table('shipment_allocation')
    with op.batch_alter_table('material_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_lot_batch_id'))

    op.drop_table('material_lot')
    with op.batch_alter_table('outbound_shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_shipment_vendor_id'))
        batch_op.drop_index('ix_outbound_shipment_shipped_on')

    op.drop_table('outbound_shipment')
    op.drop_table('impact_factor')
    with op.batch_alter_table('vendor_certification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_certification_vendor_id'))

    op.drop_table('vendor_certification')
    op.drop_table('downstream_vendor')
