"""The JSON API under /api/v1. Each domain module adds its routes to ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

<<<<<<< HEAD
# Route modules register themselves on import (one per line: branches merge cleanly).
from itad.api import accounts  # noqa: E402,F401
from itad.api import batches  # noqa: E402,F401
from itad.api import jobs  # noqa: E402,F401
from itad.api import openapi  # noqa: E402,F401
=======
# Route modules register themselves on import.
from itad.api import accounts, batches, custody, erasure, openapi, policies, workflow  # noqa: E402,F401
>>>>>>> workflow-db
