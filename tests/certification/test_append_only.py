"""Evidence is never changed or removed, whoever asks: the database refuses UPDATE and DELETE (and TRUNCATE on
PostgreSQL) of custody events and checkpoints, wipe records, verifications and destructions; a certificate's
content never changes and its status moves once. Both databases, through the migrations' triggers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.models import Certificate, db
from itad.steps import checkpoints

TABLES = ("custody_event", "custody_checkpoint", "sanitization_record", "verification", "destruction")


def _refused(sql: str, **params) -> str:
    with db.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.execute(sa.text(sql), params)
        conn.rollback()
    return str(caught.value.orig)


@pytest.mark.parametrize("table", TABLES)
def test_evidence_rows_refuse_update_and_delete(closed, session, table):
    checkpoints.make(session)
    session.commit()
    row_id = session.scalar(sa.text(f"SELECT min(id) FROM {table}"))
    assert row_id is not None, f"the closed batch wrote no {table} row"
    assert "append-only" in _refused(f"UPDATE {table} SET id = id WHERE id = :id", id=row_id)
    assert "append-only" in _refused(f"DELETE FROM {table} WHERE id = :id", id=row_id)
    assert session.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}) == 1


def test_truncate_is_refused_on_postgresql(closed, session):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    assert "append-only" in _refused("TRUNCATE custody_event CASCADE")


def test_a_certificates_content_never_changes_and_its_status_moves_once(closed, session, bench, world):
    cert = closed.certificate
    assert "append-only" in _refused("UPDATE certificate SET sha256 = :x WHERE id = :id", x="f" * 64, id=cert.id)
    assert "append-only" in _refused("UPDATE certificate SET status = 'forged' WHERE id = :id", id=cert.id)
    assert "append-only" in _refused("DELETE FROM certificate WHERE id = :id", id=cert.id)
    bench.ok(world.admin, "POST", f"/certificates/{cert.id}/revoke", {"reason": "asset tag misprinted"})
    session.expire_all()
    assert session.get(Certificate, cert.id).status == "revoked"      # the one move the trigger lets through
    assert "append-only" in _refused("UPDATE certificate SET status = 'issued' WHERE id = :id", id=cert.id)
    assert "append-only" in _refused("UPDATE certificate SET revoked_reason = 'nothing' WHERE id = :id", id=cert.id)
