"""Where documents are kept: certificate PDFs and JSON, erasure-tool reports, uploaded asset lists.

Every document is content-addressed: callers hold its SHA-256, never a path. Two backends, chosen by
the STORAGE setting:

- "database" (the default on PostgreSQL): the `document` table, written in the transaction of the row
  that names the document, so the two commit together or not at all, and web and worker machines
  share nothing but the database and Redis;
- "folder" (the default on the embedded SQLite): files under STORAGE_DIR (certificates.LocalStorage).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from certificates.storage import LocalStorage, Storage, StorageKeyError, valid_key
from itad.models import Document, utcnow


class DatabaseStorage:
    """Documents in the `document` table, through the session (its transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        # The same bytes stored by two transactions at once: the second waits for the first and keeps it.
        self.session.execute(dialect.insert(Document).values(sha256=key, content=data, size=len(data),
                                                             created_at=utcnow())
                             .on_conflict_do_nothing(index_elements=["sha256"]))
        return key

    def get(self, key: str) -> bytes:
        content = self.session.scalar(sa.select(Document.content).where(Document.sha256 == valid_key(key)))
        if content is None:
            raise StorageKeyError(key)
        return content

    def exists(self, key: str) -> bool:
        return self.session.scalar(sa.select(sa.literal(True)).where(Document.sha256 == valid_key(key))) is not None

    def delete(self, key: str) -> None:
        self.session.execute(sa.delete(Document).where(Document.sha256 == valid_key(key)))


def storage(session: Session, config) -> Storage:
    """The installation's document store (STORAGE), for this session's unit of work."""
    if config["STORAGE"] == "database":
        return DatabaseStorage(session)
    return LocalStorage(config["STORAGE_DIR"])
