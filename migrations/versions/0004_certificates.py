"""certificates tables

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("key_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("not_valid_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signing_key_fingerprint")),
    )
    op.create_table(
        "certificate_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_counter")),
    )
    op.create_table(
        "certificate_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_certificate_request_batch_id_batch")),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_certificate_request_device_id_device")),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_certificate_request_job_id_job")),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_certificate_request_organization_id_organization")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_certificate_request_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_request")),
        sa.UniqueConstraint("number", name=op.f("uq_certificate_request_number")),
    )
    with op.batch_alter_table("certificate_request", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_request_batch", ["batch_id"], unique=False)

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("json_sha256", sa.String(length=64), nullable=False),
        sa.Column("signing_key_id", sa.Integer(), nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], name=op.f("fk_certificate_batch_id_batch")),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_certificate_device_id_device")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["user_account.id"],
                                name=op.f("fk_certificate_issued_by_id_user_account")),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_certificate_organization_id_organization")),
        sa.ForeignKeyConstraint(["request_id"], ["certificate_request.id"],
                                name=op.f("fk_certificate_request_id_certificate_request")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["user_account.id"],
                                name=op.f("fk_certificate_revoked_by_id_user_account")),
        sa.ForeignKeyConstraint(["signing_key_id"], ["signing_key.id"],
                                name=op.f("fk_certificate_signing_key_id_signing_key")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["certificate.id"],
                                name=op.f("fk_certificate_superseded_by_id_certificate")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["certificate.id"],
                                name=op.f("fk_certificate_supersedes_id_certificate")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_certificate_number")),
        sa.UniqueConstraint("request_id", name=op.f("uq_certificate_request_id")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_batch_kind_status", ["batch_id", "kind", "status"], unique=False)
        batch_op.create_index("ix_certificate_device", ["device_id"], unique=False)
        batch_op.create_index("ix_certificate_sha256", ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_organization_id"), ["organization_id"], unique=False)


def downgrade():
    op.drop_table("certificate")
    op.drop_table("certificate_request")
    op.drop_table("certificate_counter")
    op.drop_table("signing_key")
