"""Content-addressed storage for issued certificates (and other artefacts).

Callers hold a key (the SHA-256 of the bytes), never a path, so a backend on
object storage can replace the local one without touching them.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9a-f]{64}$")


class StorageKeyError(KeyError):
    """No object under this key (or the key is not a SHA-256 hex digest)."""


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


def valid_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise StorageKeyError(f"not a sha256 key: {key!r}")
    return key


class LocalStorage:
    """Files under root/ab/cd/<sha256>. Written to a temporary file in the
    same directory, fsynced, then renamed over the final name: a reader sees
    the whole file or no file, even after a crash."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = valid_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            return key  # same bytes, same name: nothing to do
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # The rename is durable only once the directory entry is on disk.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StorageKeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        """For transient documents only (an upload once its batch is registered)."""
        self._path(key).unlink(missing_ok=True)
