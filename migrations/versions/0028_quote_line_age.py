"""quote lines: the unit's purchase date as its asset list says it, what its age multiplied the quote by, and why a
written date was not used; the quote counts the lines its age moved

Revision ID: 0028_quote_line_age
Revises: 0027_lot_accounting_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0028_quote_line_age'
down_revision = '0027_lot_accounting_events'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purchased_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('age_factor', sa.Numeric(precision=6, scale=4), nullable=True))
        batch_op.add_column(sa.Column('age_note', sa.Text(), nullable=True))
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aged', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_column('aged')
    with op.batch_alter_table('quote_line', schema=None) as batch_op:
        batch_op.drop_column('age_note')
        batch_op.drop_column('age_factor')
        batch_op.drop_column('purchased_on')
