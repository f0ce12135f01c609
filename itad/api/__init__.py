"""The JSON API under /api/v1. Each domain module adds its routes to ``bp``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Route modules register themselves on import (one per line: branches merge cleanly). Each lives in
# its capability's folder; this package holds what they share (the contract, schemas, OpenAPI).
from itad.accounts import routes as accounts_routes  # noqa: E402,F401
from itad.audit_log import routes as audit_log_routes  # noqa: E402,F401
from itad.notifications import routes as notification_routes  # noqa: E402,F401
from itad.batches import routes as batches_routes  # noqa: E402,F401
from itad.certification import routes as certification_routes  # noqa: E402,F401
from itad.intake import routes as intake_routes  # noqa: E402,F401
from itad.jobs import routes as jobs_routes  # noqa: E402,F401
from itad.api import openapi  # noqa: E402,F401
from itad.steps import custody_routes, erasure_routes, lock_routes, policy_routes, routes as steps_routes  # noqa: E402,F401
from itad.inventory import quote_routes, return_routes, routes as inventory_routes  # noqa: E402,F401
from itad.discovery import routes as discovery_routes  # noqa: E402,F401
from itad.pickups import routes as pickup_routes  # noqa: E402,F401
from itad.downstream import routes as downstream_routes  # noqa: E402,F401
