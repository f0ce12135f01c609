"""inventory tables: resale stock, sales, and each client's settlement terms

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settlement_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('client_share_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_settlement_terms_organization_id_organization')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_settlement_terms_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_terms')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_settlement_terms_organization_id'))
    )
    op.create_table('inventory_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('manufacturer', sa.String(length=120), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('grade', sa.String(length=2), nullable=True),
    sa.Column('specs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('list_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reserved_for', sa.String(length=200), nullable=True),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('listed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_inventory_item_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_inventory_item_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['listed_by_id'], ['user_account.id'], name=op.f('fk_inventory_item_listed_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_inventory_item_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_item')),
    sa.UniqueConstraint('device_id', name=op.f('uq_inventory_item_device_id'))
    )
    with op.batch_alter_table('inventory_item', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_item_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_inventory_item_org', ['organization_id', 'id'], unique=False)
        batch_op.create_index('ix_inventory_item_status_sku', ['status', 'sku'], unique=False)

    op.create_table('sale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=200), nullable=False),
    sa.Column('model_key', sa.String(length=330), nullable=False),
    sa.Column('grade', sa.String(length=2), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('buyer_reference', sa.String(length=200), nullable=False),
    sa.Column('sold_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_sale_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_sale_device_id_device'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['inventory_item.id'], name=op.f('fk_sale_item_id_inventory_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_sale_organization_id_organization')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_sale_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale')),
    sa.UniqueConstraint('item_id', name=op.f('uq_sale_item_id'))
    )
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.create_index('ix_sale_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_sale_model_key_sold_on', ['model_key', 'sold_on'], unique=False)
        batch_op.create_index('ix_sale_sku_sold_on', ['sku', 'sold_on'], unique=False)



def downgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_index('ix_sale_sku_sold_on')
        batch_op.drop_index('ix_sale_model_key_sold_on')
        batch_op.drop_index('ix_sale_batch')

    op.drop_table('sale')
    with op.batch_alter_table('inventory_item', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_item_status_sku')
        batch_op.drop_index('ix_inventory_item_org')
        batch_op.drop_index('ix_inventory_item_batch')

    op.drop_table('inventory_item')
    op.drop_table('settlement_terms')
