"""returns: sale_return; a device may be graded again and listed again after a return

device_grading.device_id and inventory_item.device_id were unique: a returned unit is re-graded (a second
grading row) and listed again (a second stock row). Gradings get an index instead; stock keeps at most one
row per device that is not `returned` (a partial unique index). Each sale names the grading it was sold on
(backfilled with the device's only grading).

Revision ID: 0024_returns
Revises: 0023_grading_schemes
"""
from alembic import op
import sqlalchemy as sa

revision = "0024_returns"
down_revision = "0023_grading_schemes"
branch_labels = None
depends_on = None

LIVE = sa.text("status <> 'returned'")


def upgrade():
    with op.batch_alter_table("device_grading") as batch:
        batch.drop_constraint("uq_device_grading_device_id", type_="unique")
        batch.create_index("ix_device_grading_device", ["device_id", "id"], unique=False)
    with op.batch_alter_table("inventory_item") as batch:
        batch.drop_constraint("uq_inventory_item_device_id", type_="unique")
        batch.create_index("ix_inventory_item_device", ["device_id"], unique=False)
    op.create_index("uq_inventory_item_device_live", "inventory_item", ["device_id"], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)
    with op.batch_alter_table("sale") as batch:
        batch.add_column(sa.Column("grading_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_sale_grading_id_device_grading"), "device_grading", ["grading_id"], ["id"])
    op.execute("UPDATE sale SET grading_id = (SELECT max(g.id) FROM device_grading g WHERE g.device_id = sale.device_id)")
    op.create_table(
        "sale_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("refund", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("fee_returned", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("refund >= 0 AND fee_returned >= 0", name=op.f("ck_sale_return_amounts")),
        sa.ForeignKeyConstraint(["sale_id"], ["sale.id"], name=op.f("fk_sale_return_sale_id_sale"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_sale_return_device_id_device"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_sale_return_batch_id_batch"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_sale_return_organization_id_organization")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_sale_return_recorded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_return")),
        sa.UniqueConstraint("sale_id", name=op.f("uq_sale_return_sale_id")),
    )
    op.create_index("ix_sale_return_device", "sale_return", ["device_id"])
    op.create_index("ix_sale_return_batch", "sale_return", ["batch_id"])


def downgrade():
    op.drop_table("sale_return")
    with op.batch_alter_table("sale") as batch:
        batch.drop_constraint("fk_sale_grading_id_device_grading", type_="foreignkey")
        batch.drop_column("grading_id")
    op.drop_index("uq_inventory_item_device_live", table_name="inventory_item")
    with op.batch_alter_table("inventory_item") as batch:
        batch.drop_index("ix_inventory_item_device")
        batch.create_unique_constraint("uq_inventory_item_device_id", ["device_id"])
    with op.batch_alter_table("device_grading") as batch:
        batch.drop_index("ix_device_grading_device")
        batch.create_unique_constraint("uq_device_grading_device_id", ["device_id"])
