"""The JSON API under /api/v1. Each domain module adds its routes to ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Route modules register themselves on import (one per line: branches merge cleanly).
from itad.api import accounts  # noqa: E402,F401
from itad.api import batches  # noqa: E402,F401
from itad.api import certificates  # noqa: E402,F401
from itad.api import custody  # noqa: E402,F401
from itad.api import erasure  # noqa: E402,F401
from itad.api import intake  # noqa: E402,F401
from itad.api import jobs  # noqa: E402,F401
from itad.api import openapi  # noqa: E402,F401
from itad.api import policies  # noqa: E402,F401
from itad.api import workflow  # noqa: E402,F401
from itad.api import inventory  # noqa: E402,F401
from itad.api import snmp  # noqa: E402,F401
