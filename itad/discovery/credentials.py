"""Sealing SNMP credentials for the short trip from the request to the job that uses them.

The worker needs the communities and v3 keys, but they must never rest in plain form: not in a result
row, not in a response, not in a log. They travel in the job's arguments (the Job row; Redis carries only
the job id) as one Fernet token, under a key derived from SECRET_KEY, which every web and worker machine
already shares. The job drops the token when it ends (itad.discovery.jobs), so a finished probe keeps
no credential in any form.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from itad.errors import Invalid

# The Target fields that are secret, or that say which secret is used; everything else is a plain column.
CREDENTIAL_FIELDS = ("community", "user", "auth_key", "auth_proto", "priv_key", "priv_proto", "context_name")
SECRET_FIELDS = ("community", "auth_key", "priv_key")


class CredentialsLost(Invalid):
    """The token cannot be opened: SECRET_KEY changed since the probe was requested, or it was altered."""


def _fernet(secret_key: str) -> Fernet:
    # A key of its own (HKDF with a purpose label), so this token and a session cookie never share one.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"itad snmp credentials v1").derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, credentials: list[dict]) -> str:
    """One token for the credentials of every target, in target order."""
    plain = [{name: item.get(name) for name in CREDENTIAL_FIELDS} for item in credentials]
    return _fernet(secret_key).encrypt(json.dumps(plain).encode()).decode("ascii")


def unseal(secret_key: str, token: str) -> list[dict]:
    try:
        return json.loads(_fernet(secret_key).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError):
        raise CredentialsLost("The probe's credentials cannot be decrypted (was SECRET_KEY changed since it "
                              "was requested?); request the probe again.", code="snmp_credentials_lost") from None


def secrets_in(credentials: list[dict]) -> set[str]:
    """Every secret value, to scrub from any text we store (a device error must never echo one)."""
    return {str(item[name]) for item in credentials for name in SECRET_FIELDS if item.get(name)}


def scrub(text: str | None, secrets: set[str]) -> str | None:
    if not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
