import os
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certificates import (
    LocalStorage, SigningKeyError, StorageKeyError, import_identity, issue_pdf, verify_pdf,
)
from certificates.specimen import specimen_batch


def _plain(key_pem: bytes, passphrase: bytes):
    return serialization.load_pem_private_key(key_pem, password=passphrase)


def test_generated_key_is_stored_encrypted(identity_a, passphrase):
    key_pem, cert_pem = identity_a
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)
    cert = x509.load_pem_x509_certificate(cert_pem)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment


def test_pkcs12_import_gives_a_key_that_signs_verifiable_certificates(identity_a, passphrase):
    key = _plain(identity_a[0], passphrase)
    cert = x509.load_pem_x509_certificate(identity_a[1])
    p12 = pkcs12.serialize_key_and_certificates(
        b"op", key, cert, None, serialization.BestAvailableEncryption(b"p12-password"))
    key_pem, cert_pem = import_identity(p12, b"p12-password", b"new passphrase")
    assert cert_pem == identity_a[1]
    pdf = issue_pdf(specimen_batch(2), key_pem, cert_pem, b"new passphrase")
    assert verify_pdf(pdf, [cert_pem]).valid


def test_pkcs12_with_the_wrong_password_is_refused(identity_a, passphrase):
    key = _plain(identity_a[0], passphrase)
    cert = x509.load_pem_x509_certificate(identity_a[1])
    p12 = pkcs12.serialize_key_and_certificates(
        b"op", key, cert, None, serialization.BestAvailableEncryption(b"right"))
    with pytest.raises(SigningKeyError, match="PKCS#12"):
        import_identity(p12, b"wrong", b"pass")


def test_pem_import_accepts_key_and_cert_together_or_apart(identity_a, passphrase):
    key = _plain(identity_a[0], passphrase)
    plain_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    together = import_identity(plain_pem + identity_a[1], None, b"p")
    apart = import_identity(plain_pem, None, b"p", cert=identity_a[1])
    assert together[1] == apart[1] == identity_a[1]
    assert b"ENCRYPTED PRIVATE KEY" in together[0]


def test_pem_import_refuses_a_certificate_of_another_key(identity_a, identity_b, passphrase):
    key = _plain(identity_a[0], passphrase)
    plain_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    with pytest.raises(SigningKeyError, match="matching"):
        import_identity(plain_pem, None, b"p", cert=identity_b[1])


def test_storage_returns_what_was_put_under_its_sha256(tmp_path):
    store = LocalStorage(tmp_path)
    key = store.put(b"%PDF-1.7 certificate")
    assert len(key) == 64 and store.exists(key)
    assert store.get(key) == b"%PDF-1.7 certificate"
    assert (tmp_path / key[:2] / key[2:4] / key).is_file()


def test_putting_the_same_bytes_twice_keeps_one_file(tmp_path):
    store = LocalStorage(tmp_path)
    first = store.put(b"same")
    mtime = (tmp_path / first[:2] / first[2:4] / first).stat().st_mtime_ns
    assert store.put(b"same") == first
    assert (tmp_path / first[:2] / first[2:4] / first).stat().st_mtime_ns == mtime
    assert sum(len(files) for _, _, files in os.walk(tmp_path)) == 1


def test_concurrent_puts_leave_no_temporary_or_partial_file(tmp_path):
    store = LocalStorage(tmp_path)
    blobs = [os.urandom(200_000) for _ in range(4)]
    threads = [threading.Thread(target=store.put, args=(b,)) for b in blobs for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert not [n for n in names if n.startswith(".tmp-")]
    assert len(names) == 4
    for b in blobs:
        import hashlib
        assert store.get(hashlib.sha256(b).hexdigest()) == b


def test_unknown_or_malformed_keys_raise_a_storage_error(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(StorageKeyError):
        store.get("0" * 64)
    with pytest.raises(StorageKeyError):
        store.get("../../etc/passwd")
