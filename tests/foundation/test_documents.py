"""Documents (certificates, erasure reports, uploads) kept by SHA-256 in the configured store."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from certificates.storage import StorageKeyError
from itad import create_app, documents
from itad.models import Document

PDF = b"%PDF-1.7 a certificate's bytes \x00\xff"


@pytest.fixture(params=["database", "folder"])
def store(request, app, session):
    config = {**app.config, "STORAGE": request.param}
    return documents.storage(session, config)


def test_a_document_comes_back_by_its_sha256_and_storing_it_twice_keeps_one(store, session):
    key = store.put(PDF)
    assert key == hashlib.sha256(PDF).hexdigest()
    assert store.put(PDF) == key
    assert store.get(key) == PDF and store.exists(key)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(StorageKeyError):
        store.get(key)
    with pytest.raises(StorageKeyError):
        store.get("../../etc/passwd")


def test_in_the_database_a_document_commits_or_rolls_back_with_the_transaction(app, session):
    store = documents.DatabaseStorage(session)
    kept = store.put(b"kept")
    session.commit()
    dropped = store.put(b"rolled back")
    session.rollback()
    assert store.exists(kept) and not store.exists(dropped)
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_postgresql_keeps_documents_in_the_database_and_sqlite_in_a_folder_unless_told(app_config):
    for url, default in (("postgresql://itad@127.0.0.1/itad", "database"), ("sqlite:////tmp/x.sqlite3", "folder")):
        assert create_app({**app_config, "DATABASE_URL": url}).config["STORAGE"] == default
        told = create_app({**app_config, "ENVIRON": {"STORAGE": "folder"}, "DATABASE_URL": url})
        assert told.config["STORAGE"] == "folder"
    with pytest.raises(ValueError, match="STORAGE must be"):
        create_app({**app_config, "ENVIRON": {"STORAGE": "s3"}})
