"""Password hashing: scrypt through Werkzeug (a memory-hard KDF; no extra dependency).

The cost is the app's PASSWORD_HASH_METHOD; a stored hash names its own parameters, so changing the
cost never locks anyone out."""

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def check_password(stored_hash: str | None, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)
