"""Backup and restore as the README tells an operator to do them, then the restored installation
checked the way an auditor would: the certificate downloads, is genuine to our verify service and
to pdfsig, and every custody chain still verifies.

The database is backed up first and the certificate store second: certificates are stored before
the row that names them commits, so a store copied after the dump holds every file the dump names.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from itad import create_app
from itad.models import db
from itad.steps import custody

pytestmark = pytest.mark.slow


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql"))


def _copy_store(storage_dir: str, into: Path) -> Path:
    shutil.copytree(storage_dir, into)
    return into


def _assert_restored_installation_verifies(app_config, database_url: str, storage_dir: Path, closed, world):
    restored = create_app({**app_config, "DATABASE_URL": database_url, "STORAGE_DIR": str(storage_dir)})
    cert = closed.certificate
    with restored.app_context():
        client = restored.test_client()
        # The admin's token is in the restored database like everything else.
        meta = client.get(f"/api/v1/certificates/{cert.id}", headers=world.admin.headers)
        assert meta.status_code == 200 and meta.get_json()["number"] == cert.number
        pdf = client.get(f"/api/v1/certificates/{cert.id}/pdf", headers=world.acme.headers)
        assert pdf.status_code == 200
        assert hashlib.sha256(pdf.data).hexdigest() == cert.sha256

        check = client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf.data), "certificate.pdf")},
                            content_type="multipart/form-data").get_json()
        assert check["genuine"] is True and check["verdict"] == "genuine"
        assert check["certificate"]["number"] == cert.number and check["certificate"]["status"] == "issued"

        reports = [custody.verify_batch(db.session, b) for b in custody.batch_ids(db.session)]
        assert reports and all(r["ok"] for r in reports), reports
        assert closed.batch.id in [r["batch_id"] for r in reports]
        audit = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert audit.exit_code == 0 and f"batch {closed.batch.id}: ok" in audit.output
        db.session.remove()
    with restored.app_context():
        db.engine.dispose()
    return pdf.data


def _assert_pdfsig_valid(tmp_path: Path, pdf: bytes) -> None:
    path = tmp_path / "restored-certificate.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Validation: Signature is Valid." in out and "Total document signed" in out, out


def test_a_postgres_dump_and_a_copy_of_the_store_restore_into_an_installation_that_still_verifies(
        app_config, database_url, closed, world, tmp_path):
    if not _is_postgres(database_url):
        pytest.skip("pg_dump backs up PostgreSQL; the SQLite run has its own test below")
    for tool in ("pg_dump", "pg_restore", "pdfsig"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    import psycopg

    dump = tmp_path / "itad.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={database_url}"],
                   check=True, capture_output=True)
    store = _copy_store(app_config["STORAGE_DIR"], tmp_path / "backup-storage")

    base, _, _ = database_url.rpartition("/")
    fresh = f"itad_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{fresh}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={base}/{fresh}", str(dump)],
                       check=True, capture_output=True)
        restored_store = _copy_store(store, tmp_path / "restored-storage")
        pdf = _assert_restored_installation_verifies(app_config, f"{base}/{fresh}", restored_store, closed, world)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
    _assert_pdfsig_valid(tmp_path, pdf)


def test_a_sqlite_online_backup_and_a_copy_of_the_store_restore_into_an_installation_that_still_verifies(
        app_config, database_url, closed, world, tmp_path):
    if _is_postgres(database_url):
        pytest.skip("SQLite's backup API; the PostgreSQL run has the pg_dump test above")
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig is not installed")
    live = database_url.removeprefix("sqlite:///")
    backup = tmp_path / "itad-backup.sqlite3"
    # The online backup API copies a consistent snapshot while the server keeps running
    # (the same as `sqlite3 itad.sqlite3 ".backup itad-backup.sqlite3"`).
    with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    store = _copy_store(app_config["STORAGE_DIR"], tmp_path / "backup-storage")

    restored_db = tmp_path / "restored" / "itad.sqlite3"
    restored_db.parent.mkdir()
    shutil.copyfile(backup, restored_db)
    restored_store = _copy_store(store, tmp_path / "restored-storage")
    pdf = _assert_restored_installation_verifies(app_config, f"sqlite:///{restored_db}", restored_store, closed, world)
    _assert_pdfsig_valid(tmp_path, pdf)
