"""The operator's signing identity and PAdES signatures.

The private key only ever leaves this module encrypted with the configured
passphrase (PKCS#8, BestAvailableEncryption); nothing here logs key
material or passphrases. Decrypted keys are cached per process so a bulk run
does not pay the key-derivation cost per certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import asyncio
import concurrent.futures
import io
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

DEFAULT_REASON = "Certificate of Sanitization issued"
# Room for the CMS SignedData in /Contents (bytes, hex doubles it in the file).
# A B-B signature with one RSA-3072 or ECDSA certificate takes under 2.5 kB;
# 8 kB leaves room for a longer chain.
SIGNATURE_BYTES_RESERVED = 8192


class SigningKeyError(ValueError):
    """The key or certificate cannot be used for signing certificates; the
    message says why (never what the key is)."""


def cert_fingerprint(cert_pem_or_der: bytes) -> str:
    """SHA-256 of the certificate's DER, hex: what operators publish."""
    if cert_pem_or_der.lstrip().startswith(b"-----"):
        cert = x509.load_pem_x509_certificate(cert_pem_or_der)
        cert_pem_or_der = cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(cert_pem_or_der).hexdigest()


def _encrypt(key, passphrase: bytes) -> bytes:
    if not passphrase:
        raise SigningKeyError("a passphrase is required to store the signing key")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def _check_key(key) -> None:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise SigningKeyError(f"RSA key of {key.key_size} bits is too short; use 2048 or more")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise SigningKeyError(f"elliptic curve {key.curve.name} is not accepted by PDF readers")
    else:
        raise SigningKeyError("only RSA and ECDSA (P-256/384/521) keys can sign certificates")


def generate_signing_identity(
    common_name: str,
    organization: str,
    days: int = 3 * 365,
    *,
    passphrase: bytes,
    key_type: str = "ec",
) -> tuple[bytes, bytes]:
    """A new key (ECDSA P-256, or RSA 3072 with key_type="rsa") and a
    self-signed certificate for it. Returns (encrypted key PEM, cert PEM)."""
    if key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    else:
        raise SigningKeyError(f"key_type {key_type!r}: use 'ec' or 'rsa'")
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        # An hour back so a signature made right away is not "before validity"
        # on a reader whose clock is slightly behind.
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _encrypt(key, passphrase), cert.public_bytes(serialization.Encoding.PEM)


def _same_key(cert: x509.Certificate, key) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def import_identity(
    data: bytes,
    password: bytes | None,
    passphrase: bytes,
    cert: bytes | None = None,
) -> tuple[bytes, bytes]:
    """An existing identity, from PKCS#12 (`data`, opened with `password`)
    or PEM (key and certificate in `data`, or the certificate in `cert`).
    Returns (key PEM encrypted with `passphrase`, cert PEM)."""
    key = None
    certs: list[x509.Certificate] = []
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"could not read the PEM private key: wrong password or not a key ({type(exc).__name__})") from None
        for blob in (data, cert or b""):
            if b"-----BEGIN CERTIFICATE" in blob:
                certs += x509.load_pem_x509_certificates(blob)
    else:
        try:
            key, leaf, extra = pkcs12.load_key_and_certificates(data, password)
        except (ValueError, TypeError):
            raise SigningKeyError("could not open the PKCS#12 file: wrong password or not PKCS#12") from None
        certs = [c for c in [leaf, *extra] if c is not None]
        if cert:
            certs += x509.load_pem_x509_certificates(cert)
    if key is None:
        raise SigningKeyError("no private key found")
    _check_key(key)
    matching = [c for c in certs if _same_key(c, key)]
    if not matching:
        raise SigningKeyError("no certificate matching the private key was found")
    return _encrypt(key, passphrase), matching[0].public_bytes(serialization.Encoding.PEM)


@lru_cache(maxsize=4)
def _signer(key_pem_encrypted: bytes, cert_pem: bytes, passphrase: bytes):
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        key = load_private_key_from_pemder_data(key_pem_encrypted, passphrase)
    except (ValueError, TypeError):
        raise SigningKeyError("could not decrypt the signing key: wrong passphrase?") from None
    certs = list(load_certs_from_pemder_data(cert_pem))
    if not certs:
        raise SigningKeyError("no certificate in cert_pem")
    return signers.SimpleSigner(
        signing_cert=certs[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(certs),
    )


@dataclass(frozen=True)
class Timestamping:
    """An RFC 3161 time-stamp authority: `url`, and the PEM of the root(s) its certificate chains to, so the
    validation data of the whole chain can be gathered (revocation information fetched from the URLs the
    certificates name) and embedded."""

    url: str
    trust_pem: bytes | None = None


# Room for a signature with its time-stamp token and the validation data of both chains (PAdES B-LT).
TIMESTAMPED_BYTES_RESERVED = 64 * 1024


def sign_pdf(
    pdf: bytes,
    key_pem_encrypted: bytes,
    cert_pem: bytes,
    passphrase: bytes,
    *,
    reason: str = DEFAULT_REASON,
    location: str = "",
    field_name: str = "CertificateSignature",
    timestamping: Timestamping | None = None,
) -> bytes:
    """The PDF with an embedded PAdES signature covering the whole file: B-B, or with `timestamping` B-LT (a
    signature time-stamp from the authority, and the certificates and revocation data needed to validate the
    signer and the time-stamp later, after rotation or expiry, in the document's security store)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    extra: dict = {}
    timestamper = None
    if timestamping is not None:
        from pyhanko.keys import load_certs_from_pemder_data
        from pyhanko.sign.timestamps import HTTPTimeStamper
        from pyhanko_certvalidator import ValidationContext

        roots = list(load_certs_from_pemder_data(cert_pem))
        if timestamping.trust_pem:
            roots += list(load_certs_from_pemder_data(timestamping.trust_pem))
        extra = {"embed_validation_info": True, "use_pades_lta": False,
                 "validation_context": ValidationContext(trust_roots=roots, allow_fetching=True)}
        timestamper = HTTPTimeStamper(timestamping.url, timeout=30)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        **extra,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    # A fixed reservation: without it pyHanko builds and signs the CMS twice
    # (once only to measure it), which doubled the cost of a small certificate.
    pdf_signer = signers.PdfSigner(meta, signer=_signer(key_pem_encrypted, cert_pem, passphrase),
                                   timestamper=timestamper)
    reserved = TIMESTAMPED_BYTES_RESERVED if timestamping else SIGNATURE_BYTES_RESERVED
    out = run_coroutine(lambda: pdf_signer.async_sign_pdf(writer, bytes_reserved=reserved))
    return out.getvalue()


def timestamp_token(data: bytes, timestamping: Timestamping) -> bytes:
    """An RFC 3161 time-stamp token (DER) over the SHA-256 of `data`, from the authority."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    stamper = HTTPTimeStamper(timestamping.url, timeout=30)
    digest = hashlib.sha256(data).digest()
    return run_coroutine(lambda: stamper.async_timestamp(digest, "sha256")).dump()


def run_coroutine(make_coroutine):
    """Run pyHanko's coroutine to completion, also when the caller's thread already runs an event
    loop (an async server, a browser-driving test): asyncio.run() refuses that, so use a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def sign_bytes(data: bytes, key_pem_encrypted: bytes, passphrase: bytes) -> bytes:
    """A detached signature over `data` with the operator's key: ECDSA or RSA (PKCS#1 v1.5), SHA-256, as the
    key is; checked by `openssl dgst -sha256 -verify` with the public key of the key's certificate."""
    key = serialization.load_pem_private_key(key_pem_encrypted, password=passphrase)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise ValueError(f"cannot sign with a {type(key).__name__}")


def verify_bytes(data: bytes, signature: bytes, cert_pem: bytes) -> bool:
    """Whether `signature` (from sign_bytes) is over `data` by the key of `cert_pem`."""
    public = x509.load_pem_x509_certificate(cert_pem).public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
