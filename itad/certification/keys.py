"""The operator's signing keys: create, import, rotate, list, and the ones the public may see.

The private key is stored only encrypted with SIGNING_KEY_PASSPHRASE (configuration, never the
database) and decrypted only inside `certificates.sign_pdf`. Nothing here logs key material;
errors name what is wrong, never the key. Rotation retires the old key without deleting it:
certificates it signed keep verifying against its published certificate.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.orm import Session

import certificates
from itad import audit_log
from itad.errors import Conflict, Invalid
from itad.models import SigningKey, utcnow


class NoPassphrase(Invalid):
    code = "no_signing_passphrase"


def passphrase_from(config) -> bytes:
    value = config.get("SIGNING_KEY_PASSPHRASE")
    if not value:
        raise NoPassphrase("SIGNING_KEY_PASSPHRASE is not set: the signing key cannot be stored or used "
                           "without it. Set it in the environment of every web process and worker.")
    return value.encode()


def _row(key_pem: bytes, cert_pem: bytes, source: str) -> SigningKey:
    cert = x509.load_pem_x509_certificate(cert_pem)
    return SigningKey(
        fingerprint=certificates.cert_fingerprint(cert_pem),
        subject=cert.subject.rfc4514_string()[:400],
        cert_pem=cert_pem.decode(),
        key_encrypted=key_pem,
        source=source,
        active=False,
        not_valid_after=cert.not_valid_after_utc,
    )


def default_subject(config) -> dict:
    """The certificate's subject when the operator gives none: named after OPERATOR_NAME."""
    name = config["OPERATOR_NAME"]
    return {"common_name": f"{name} certificate signing", "organization": name}


def timestamping(config) -> certificates.Timestamping | None:
    """The time-stamp authority from TSA_URL (and TSA_TRUST_PEM, its root's PEM file), or None: then certificates
    are signed without a time-stamp, as before."""
    url = (config.get("TSA_URL") or "").strip()
    if not url:
        return None
    trust = config.get("TSA_TRUST_PEM")
    try:
        trust_pem = open(trust, "rb").read() if trust else None
    except OSError as exc:
        raise Invalid(f"TSA_TRUST_PEM cannot be read: {exc}", code="tsa_trust_unreadable") from None
    return certificates.Timestamping(url, trust_pem)


def passphrase_configured(config) -> bool:
    return bool(config.get("SIGNING_KEY_PASSPHRASE"))


def active_key(session: Session) -> SigningKey | None:
    return session.scalars(sa.select(SigningKey).where(SigningKey.active.is_(True))
                           .order_by(SigningKey.id.desc()).limit(1)).first()


def sign(session: Session, config, pdf: bytes, *, reason: str, field_name: str,
         what: str) -> tuple[bytes, SigningKey]:
    """A document other than a certificate of sanitization (a bill of lading, a certificate of recycling) signed with
    the active key as the certificates are (PAdES; time-stamped when configured), and the key; 409 while no key is
    active, naming `what` could not be signed."""
    key = active_key(session)
    if key is None:
        raise Conflict(f"No signing key is active, so {what} cannot be signed; an admin sets one up first "
                       "('itad keys init').", code="no_signing_key", details={"needs": ["set up a signing key"]})
    return certificates.sign_pdf(pdf, key.key_encrypted, key.cert_pem.encode(), passphrase_from(config),
                                 reason=reason, field_name=field_name, timestamping=timestamping(config)), key


def _activate(session: Session, new: SigningKey) -> SigningKey:
    """Make `new` the key for new certificates and retire the one before it (kept for verifying)."""
    existing = session.scalar(sa.select(SigningKey.id).where(SigningKey.fingerprint == new.fingerprint))
    if existing is not None:
        raise Conflict(f"This certificate is already stored as signing key {existing}.", code="key_exists")
    now = utcnow()
    retired = []
    for old in session.scalars(sa.select(SigningKey).where(SigningKey.active.is_(True))).all():
        old.active, old.retired_at = False, now
        retired.append(old.fingerprint)
    new.active = True
    session.add(new)
    session.flush()
    action = ("signing_key_imported" if new.source == "imported" else
              "signing_key_rotated" if retired else "signing_key_created")
    audit_log.record(session, action, subject=f"signing key {new.id} ({new.subject})",
                     before={"active": retired} if retired else None,
                     after={"active": new.fingerprint, "subject": new.subject, "source": new.source,
                            "not_valid_after": new.not_valid_after})
    return new


def init_key(session: Session, config, *, common_name: str, organization: str, days: int = 3 * 365,
             key_type: str = "ec") -> SigningKey:
    """The first signing key: a new key pair and a self-signed certificate. Refused when a key is
    active already (use rotate, which says what it does)."""
    if active_key(session) is not None:
        raise Conflict("A signing key is active already; use 'itad keys rotate' to replace it.",
                       code="key_exists")
    return rotate_key(session, config, common_name=common_name, organization=organization, days=days,
                      key_type=key_type)


def rotate_key(session: Session, config, *, common_name: str, organization: str, days: int = 3 * 365,
               key_type: str = "ec") -> SigningKey:
    """A new self-signed key for new certificates; the previous one is retired, not deleted."""
    try:
        key_pem, cert_pem = certificates.generate_signing_identity(
            common_name, organization, days, passphrase=passphrase_from(config), key_type=key_type)
    except certificates.SigningKeyError as exc:
        raise Invalid(str(exc), code="signing_key_refused") from None
    return _activate(session, _row(key_pem, cert_pem, "generated"))


def import_key(session: Session, config, data: bytes, *, password: bytes | None = None,
               cert: bytes | None = None) -> SigningKey:
    """An operator's key and CA-issued certificate (PEM, or PKCS#12 opened with `password`). It becomes
    the active key; the previous one is retired."""
    try:
        key_pem, cert_pem = certificates.import_identity(data, password, passphrase_from(config), cert)
    except certificates.SigningKeyError as exc:
        raise Invalid(str(exc), code="signing_key_refused") from None
    return _activate(session, _row(key_pem, cert_pem, "imported"))


def all_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(sa.select(SigningKey).order_by(SigningKey.id)).all())


def published_certs(session: Session) -> list[bytes]:
    """Every certificate we ever signed with, retired ones included: what verification trusts."""
    return [pem.encode() for pem in session.scalars(sa.select(SigningKey.cert_pem).order_by(SigningKey.id))]


def describe(key: SigningKey) -> dict:
    """What may be shown about a key: never key_encrypted."""
    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()

    return {"id": key.id, "fingerprint_sha256": key.fingerprint, "subject": key.subject,
            "source": key.source, "active": key.active, "created_at": iso(key.created_at),
            "retired_at": iso(key.retired_at), "not_valid_after": iso(key.not_valid_after),
            "cert_pem": key.cert_pem}
