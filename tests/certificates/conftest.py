import pytest

from certificates import generate_signing_identity, issue_pdf
from certificates.specimen import specimen_batch

PASSPHRASE = b"correct horse battery staple"


@pytest.fixture(scope="session")
def passphrase() -> bytes:
    return PASSPHRASE


@pytest.fixture(scope="session")
def identity_a():
    return generate_signing_identity("ITAD Signing A", "GreenCycle ITAD Ltd", passphrase=PASSPHRASE)


@pytest.fixture(scope="session")
def identity_b():
    return generate_signing_identity("ITAD Signing B", "GreenCycle ITAD Ltd", passphrase=PASSPHRASE)


@pytest.fixture(scope="session")
def batch_data():
    # 60 devices give more than one sheet of media records (page numbering).
    return specimen_batch(60)


@pytest.fixture(scope="session")
def signed_batch(batch_data, identity_a) -> bytes:
    key, cert = identity_a
    return issue_pdf(batch_data, key, cert, PASSPHRASE)
