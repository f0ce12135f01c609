"""The audit log's tests use the certification fixtures (a closed batch, a signing key) and the web's browser."""

from tests.certification.conftest import bench, closed, signing_key  # noqa: F401
from tests.web.conftest import as_user  # noqa: F401
