"""audit_event: the operator's hash-chained audit log, append-only

Policy and settlement-term changes, organizations, users, tokens issued and revoked, signing keys created,
imported and rotated, certificates revoked, batches closed: who, when, what (before and after), from where.
One chain for the whole operator, hashed as the custody chains are; refused UPDATE and DELETE as the other
evidence tables are (0015).

Revision ID: 0016_audit_log
Revises: 0015_append_only
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0016_audit_log"
down_revision = "0015_append_only"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("before", _JSON, nullable=True),
        sa.Column("after", _JSON, nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("seq", name="uq_audit_event_seq"),
    )
    op.create_index("ix_audit_event_organization", "audit_event", ["organization_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER append_only_audit_event BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION itad_append_only()")
        op.execute("CREATE TRIGGER append_only_audit_event_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION itad_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER append_only_audit_event_{action.lower()} BEFORE {action} ON audit_event "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only: {action} on audit_event refused; evidence is "
                       f"never changed or removed'); END")


def downgrade():
    op.drop_table("audit_event")
