"""A real gunicorn serving the app on 127.0.0.1, on the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app, app_config, tmp_path_factory):
    """Base URL of gunicorn (2 workers) running wsgi:app against the suite's database."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app_config["DATABASE_URL"],
        "SECRET_KEY": app_config["SECRET_KEY"],
        "STORAGE_DIR": app_config["STORAGE_DIR"],
        "SIGNING_KEY_PASSPHRASE": app_config["SIGNING_KEY_PASSPHRASE"],
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The fuzzer's SNMP probes run inline in the request: let each random address give up quickly.
        "SNMP_TIMEOUT": "0.2", "SNMP_RETRIES": "0", "SNMP_MAX_SECONDS": "2",
    }
    log = open(tmp_path_factory.mktemp("gunicorn") / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "wsgi:app"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/api/v1/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
