"""Uploaded asset lists kept on disk, keyed by their SHA-256, so a worker can read them.

A list too long to register inside the request goes to a background job, and jobs take ids,
never objects: the file's SHA-256 is that id. The file lands under STORAGE_DIR/uploads/ (shared by
every web process and worker of one installation) and is written atomically, so a worker never
reads half a file. Storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _path(storage_dir: str, sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return Path(storage_dir) / "uploads" / sha256[:2] / f"{sha256}.bin"


def store_upload(storage_dir: str, data: bytes) -> str:
    """Keep the bytes; return their SHA-256 (the upload id)."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = _path(storage_dir, sha256)
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha256


def load_upload(storage_dir: str, sha256: str) -> bytes:
    return _path(storage_dir, sha256).read_bytes()


def discard_upload(storage_dir: str, sha256: str) -> None:
    """Drop a stored upload once its batch is registered (or refused for good)."""
    try:
        _path(storage_dir, sha256).unlink()
    except FileNotFoundError:
        pass
