"""A real snmpsim agent on 127.0.0.1 serving tests/snmp/data, and a UDP server that answers garbage.

snmpsim picks the recording by community (file name without .snmprec) and, over SNMPv3, by context name.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from itad.snmp import Target, probe

DATA_DIR = Path(__file__).parent / "data"
# snmpsim is installed with the suite's Python, whose bin/ need not be on PATH (`make test` runs
# .venv/bin/python directly): its command stands beside sys.executable.
SNMPSIM = str(Path(sys.executable).parent / "snmpsim-command-responder")
V3_USER = "itadprobe"
V3_AUTH_KEY = "auth-secret-4711"
V3_PRIV_KEY = "priv-secret-0815"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def snmpsim_command(data_dir: Path, cache_dir: Path, ports: list[int], v3: bool = True,
                    max_var_binds: int | None = None) -> list[str]:
    command = [SNMPSIM, f"--data-dir={data_dir}", f"--cache-dir={cache_dir}", "--log-level=error"]
    if max_var_binds is not None:
        command.append(f"--max-var-binds={max_var_binds}")
    if v3:
        command += [f"--v3-user={V3_USER}", f"--v3-auth-key={V3_AUTH_KEY}", "--v3-auth-proto=SHA256",
                    f"--v3-priv-key={V3_PRIV_KEY}", "--v3-priv-proto=AES"]
    command += [f"--agent-udpv4-endpoint=127.0.0.1:{port}" for port in ports]
    return command


def snmpsim_env() -> dict[str, str]:
    # snmpsim refuses to run as root unless told to drop privileges; dropping them to "nobody" would lose
    # read access to a Python installed under /root, so allow root explicitly (loopback only anyway).
    return {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}


def wait_until_answering(port: int, community: str, process: subprocess.Popen, log: Path,
                         seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"snmpsim exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        result = asyncio.run(probe(Target("127.0.0.1", port, community=community, timeout=0.3, retries=0)))
        if result.ok:
            return
        time.sleep(0.2)
    raise RuntimeError(f"snmpsim did not answer on 127.0.0.1:{port} within {seconds} s:\n{log.read_text()[-3000:]}")


@dataclass(frozen=True)
class Agent:
    port: int

    # snmpsim answers in milliseconds, but CI runs both suites at once on 2 cores: a generous timeout
    # costs nothing when the answer comes and keeps a loaded machine from failing a healthy agent.
    def target(self, community: str, **options) -> Target:
        return Target("127.0.0.1", self.port, community=community, timeout=options.pop("timeout", 3.0),
                      retries=options.pop("retries", 1), **options)

    def v3_target(self, context: str, **options) -> Target:
        settings = dict(user=V3_USER, auth_key=V3_AUTH_KEY, auth_proto="SHA-256", priv_key=V3_PRIV_KEY,
                        priv_proto="AES", timeout=3.0, retries=0)
        settings.update(options)
        return Target("127.0.0.1", self.port, version="3", context_name=context, **settings)


def _run_agent(work: Path, **options):
    port = free_udp_port()
    log = work / "snmpsim.log"
    with log.open("wb") as out:
        process = subprocess.Popen(snmpsim_command(DATA_DIR, work / "cache", [port], **options), stdout=out,
                                   stderr=subprocess.STDOUT, env=snmpsim_env())
    try:
        wait_until_answering(port, "linksys-system", process, log)
        yield Agent(port)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def agent(tmp_path_factory) -> Agent:
    yield from _run_agent(tmp_path_factory.mktemp("snmpsim"))


@pytest.fixture(scope="session")
def terse_agent(tmp_path_factory) -> Agent:
    """An agent whose GETBULK answers hold at most 7 values, however many were asked (as a device with a
    small maximum message size does): every walk is cut short and must carry on where it stopped."""
    yield from _run_agent(tmp_path_factory.mktemp("snmpsim-terse"), v3=False, max_var_binds=7)


@pytest.fixture(scope="session")
def probed(agent):
    """probed(community) -> ProbeResult, read once per session: a recording does not change between tests."""
    cache = {}

    def read(community: str):
        if community not in cache:
            cache[community] = asyncio.run(probe(agent.target(community)))
        return cache[community]

    return read


@pytest.fixture()
def closed_port() -> int:
    """A loopback port nobody listens on: the kernel answers ICMP port-unreachable, pysnmp sees silence."""
    return free_udp_port()


@pytest.fixture()
def udp_responder():
    """Start UDP servers on 127.0.0.1 that answer each datagram with reply(request); yields a starter."""
    servers = []

    def start(reply) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.1)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    request, peer = sock.recvfrom(65535)
                except OSError:
                    continue
                sock.sendto(reply(request), peer)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((sock, stop, thread))
        return sock.getsockname()[1]

    yield start
    for sock, stop, thread in servers:
        stop.set()
        thread.join(timeout=2)
        sock.close()


@pytest.fixture()
def garbage_port(udp_responder) -> int:
    """A device that answers every request with random bytes (0xff first: never a BER SEQUENCE)."""
    return udp_responder(lambda _request: b"\xff" + os.urandom(40))
