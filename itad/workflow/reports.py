"""Raw erasure-tool reports, kept as evidence: content-addressed files under STORAGE_DIR.

The file name is the SHA-256 of the bytes, so the same report stored twice is one file, and the
hash kept on the sanitization record proves which bytes it refers to.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def _path(storage_dir: str, sha256: str) -> Path:
    return Path(storage_dir) / "erasure-reports" / sha256[:2] / sha256


def store_report(storage_dir: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = _path(storage_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a report
    return digest


def read_report(storage_dir: str, sha256: str) -> bytes | None:
    path = _path(storage_dir, sha256)
    return path.read_bytes() if path.exists() else None
