"""A real RFC 3161 time-stamp authority on 127.0.0.1: certomancer's Animator serving a test PKI (a root CA with
its CRL, and a time-stamping certificate it issued), started for the tests and stopped after them."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CONFIG = """\
external-url-prefix: "http://127.0.0.1:{port}"
keysets:
  test:
    path-prefix: "{keys}"
    keys:
      root: {{path: root.key.pem}}
      tsa: {{path: tsa.key.pem}}
pki-architectures:
  testing-ca:
    keyset: test
    entity-defaults: {{country-name: BE, organization-name: Test TSA Authority}}
    entities:
      root: {{common-name: Test Root CA}}
      tsa: {{common-name: Test Time Stamping Authority}}
    certs:
      root:
        subject: root
        issuer: root
        validity: {{valid-from: "{start}", valid-to: "{end}"}}
        profiles: [{{id: simple-ca, params: {{crl-repo: root}}}}]
      tsa:
        issuer: root
        validity: {{valid-from: "{start}", valid-to: "{end}"}}
        extensions:
          - {{id: key_usage, critical: true, smart-value: {{schema: key-usage, params: [digital_signature]}}}}
          - {{id: extended_key_usage, critical: true, value: [time_stamping]}}
          - {{id: crl_distribution_points, smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}}}
    services:
      crl-repo:
        root: {{for-issuer: root, signing-key: root, simulated-update-schedule: "P90D"}}
      cert-repo:
        root: {{for-issuer: root, publish-issued-certs: yes}}
      time-stamping:
        tsa: {{signing-key: tsa, signing-cert: tsa}}
"""


@dataclass
class Authority:
    url: str
    root_pem: Path
    process: subprocess.Popen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> Authority:
    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for name in ("root", "tsa"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (keys / f"{name}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    port = _free_port()
    now = dt.datetime.now(dt.timezone.utc)
    config = folder / "certomancer.yml"
    config.write_text(CONFIG.format(port=port, keys=keys, start=(now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                                    end=(now + dt.timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%S+0000")))
    process = subprocess.Popen([sys.executable, "-m", "certomancer", "--config", str(config), "animate",
                                "--port", str(port), "--no-web-ui"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/testing-ca"
    deadline = time.time() + 30
    while True:
        try:
            root = urllib.request.urlopen(f"{base}/certs/root/ca.crt", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("certomancer did not start")
            time.sleep(0.2)
    root_pem = folder / "root.pem"
    from cryptography import x509

    cert = x509.load_der_x509_certificate(root) if not root.startswith(b"-----") else x509.load_pem_x509_certificate(root)
    root_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(f"{base}/tsa/tsa", root_pem, process)


def stop(authority: Authority) -> None:
    authority.process.terminate()
    try:
        authority.process.wait(10)
    except subprocess.TimeoutExpired:
        authority.process.kill()
