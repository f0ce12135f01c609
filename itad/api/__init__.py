"""The JSON API under /api/v1. Each domain module adds its routes to ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Route modules register themselves on import.
from itad.api import accounts, batches, intake, jobs, openapi  # noqa: E402,F401
