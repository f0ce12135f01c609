"""web_session: signed-in browsers kept on the server; api_token.expires_at

Sign-out, a password or role change and deactivation now end a browser's session everywhere at once, and a
session lives SESSION_LIFETIME_SECONDS at most. An API token may carry an expiry.

Revision ID: 0017_sessions_and_token_expiry
Revises: 0016_audit_log
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_sessions_and_token_expiry"
down_revision = "0016_audit_log"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_marker", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_web_session_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session")),
    )
    op.create_index("ix_web_session_user", "web_session", ["user_id"])
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
    op.drop_table("web_session")
