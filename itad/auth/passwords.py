"""Password hashing: scrypt through Werkzeug (a memory-hard KDF; no extra dependency)."""

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(stored_hash: str | None, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)
