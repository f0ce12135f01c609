"""Evidence tables refuse UPDATE and DELETE at the database level

Custody events, custody checkpoints, wipe (sanitization) records, verifications and destruction records are
written once and never changed or removed: a BEFORE UPDATE/DELETE trigger refuses it (and on PostgreSQL a
BEFORE TRUNCATE one), whoever asks, whatever the application does. An issued certificate's content never
changes either; its status moves once, from issued to superseded (a new certificate, its own row, took its
place) or to revoked, with the columns that say by which and why. Whatever must change later is a new row.

Revision ID: 0015_append_only
Revises: 0014_custody_checkpoints
"""
from alembic import op

revision = "0015_append_only"
down_revision = "0014_custody_checkpoints"
branch_labels = None
depends_on = None

TABLES = ("custody_event", "custody_checkpoint", "sanitization_record", "verification", "destruction")
# A certificate's columns that never change once issued (status and the superseded/revoked columns may, once).
CERTIFICATE_FIXED = ("id", "number", "kind", "batch_id", "device_id", "organization_id", "request_id",
                     "supersedes_id", "sha256", "size_bytes", "json_sha256", "signing_key_id", "issued_at",
                     "issued_by_id")

_PG_REFUSE = """
CREATE FUNCTION itad_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append-only: % on % refused; evidence is never changed or removed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$"""

_PG_CERTIFICATE = """
CREATE FUNCTION itad_certificate_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'append-only: certificate % is never removed', OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'issued' THEN
        RAISE EXCEPTION 'append-only: certificate % is %: it does not change any more', OLD.number, OLD.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status NOT IN ('issued', 'superseded', 'revoked')
       OR (NEW_FIXED) IS DISTINCT FROM (OLD_FIXED)
       OR NEW.summary::text IS DISTINCT FROM OLD.summary::text THEN
        RAISE EXCEPTION 'append-only: certificate %''s content never changes; only its status moves, once',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_REFUSE)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER append_only_{table} BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION itad_append_only()")
        op.execute(_PG_CERTIFICATE.replace("NEW_FIXED", ", ".join(f"NEW.{c}" for c in CERTIFICATE_FIXED))
                   .replace("OLD_FIXED", ", ".join(f"OLD.{c}" for c in CERTIFICATE_FIXED)))
        op.execute("CREATE TRIGGER append_only_certificate BEFORE UPDATE OR DELETE ON certificate "
                   "FOR EACH ROW EXECUTE FUNCTION itad_certificate_append_only()")
        for table in TABLES + ("certificate",):
            op.execute(f"CREATE TRIGGER append_only_{table}_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION itad_append_only()")
        return
    for table in TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER append_only_{table}_{action.lower()} BEFORE {action} ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, 'append-only: {action} on {table} refused; evidence is never changed "
                       f"or removed'); END")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CERTIFICATE_FIXED + ("summary",))
    op.execute("CREATE TRIGGER append_only_certificate_update BEFORE UPDATE ON certificate "
               f"WHEN OLD.status <> 'issued' OR NEW.status NOT IN ('issued', 'superseded', 'revoked') OR {changed} "
               "BEGIN SELECT RAISE(ABORT, 'append-only: a certificate''s content never changes; only its status "
               "moves, once'); END")
    op.execute("CREATE TRIGGER append_only_certificate_delete BEFORE DELETE ON certificate BEGIN "
               "SELECT RAISE(ABORT, 'append-only: a certificate is never removed'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES + ("certificate",):
            op.execute(f"DROP TRIGGER IF EXISTS append_only_{table} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS append_only_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS itad_append_only()")
        op.execute("DROP FUNCTION IF EXISTS itad_certificate_append_only()")
        return
    for table in TABLES + ("certificate",):
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS append_only_{table}_{action}")
