"""The certification fixtures (a signing key, a batch closed with its certificate), shared here."""

from tests.certification.conftest import bench, closed, signing_key  # noqa: F401
