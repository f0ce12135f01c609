"""material lots: the accounting's techniques and reasons are read from each step's custody event; the lot's
last-technique and joined-reasons columns (which kept only the last technique and cut the reasons at 500 characters)
go

Revision ID: 0027_lot_accounting_events
Revises: 0026_downstream
"""
from alembic import op
import sqlalchemy as sa


revision = '0027_lot_accounting_events'
down_revision = '0026_downstream'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('material_lot', schema=None) as batch_op:
        batch_op.drop_column('missing_reason')
        batch_op.drop_column('destruction_technique')


def downgrade():
    with op.batch_alter_table('material_lot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destruction_technique', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('missing_reason', sa.String(length=500), nullable=True))
