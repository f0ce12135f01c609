"""The services a load bench runs against, all its own, all on loopback, all removed at the end.

A private PostgreSQL cluster (initdb into a temporary folder, on a free port), a private
redis-server (a free port, no persistence), gunicorn and ``itad worker`` processes on them. Nothing
here touches the machine's shared PostgreSQL or Redis, so the bench may stop and restart its own
at will, and it runs the same on any machine that has PostgreSQL's and Redis's binaries.

Every process is started in a session of its own, so Ctrl-C reaches only the bench, which then
stops them in order; ``Stack.close`` is safe to call twice and after a partial start.
"""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise SystemExit("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(found[-1]).parent


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Postgres:
    """A throwaway cluster. As root, the server runs as the `postgres` user (initdb refuses root)."""

    def __init__(self, base: Path):
        self.bin = postgres_bin()
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.dir.mkdir()
        self._as = []
        if os.geteuid() == 0:
            # The postgres user must reach its folder through the bench's temporary one.
            os.chmod(base, 0o755)
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], check=check, capture_output=True, text=True,
                              start_new_session=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-instructions")
        self.start()

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
                   "-c max_connections=200 -c fsync=on")
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                           "-w", "-t", "60", "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stdout}{result.stderr}\n{self.tail()}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def ready(self) -> bool:
        return self._run(str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
                         check=False).returncode == 0

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Redis:
    """redis-server with no snapshot and no append-only file: a restart loses every message."""

    def __init__(self, base: Path):
        self.port = free_port()
        self.log = base / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--logfile", str(self.log), "--dir", str(self.log.parent)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while not self.ready():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start (see {self.log})")
            time.sleep(0.05)

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Stack:
    """PostgreSQL + Redis + gunicorn + workers for one bench run, in one temporary folder."""

    def __init__(self, env: dict[str, str], gunicorn_workers: int = 4, keep: bool = False):
        self.base = Path(tempfile.mkdtemp(prefix="itad-load-"))
        self.keep = keep
        self.gunicorn_workers = gunicorn_workers
        self.postgres = Postgres(self.base)
        self.redis = Redis(self.base)
        self.web_port = free_port()
        self.database_url = ""
        self.extra_env = env
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.worker_logs: dict[int, Path] = {}
        self.killed: set[int] = set()

    # -- lifecycle ----------------------------------------------------------------------------
    def start_services(self) -> None:
        self.postgres.init()
        self.database_url = self.postgres.create_database("itad_load")
        self.redis.start()

    def env(self, process: str = "cli") -> dict[str, str]:
        """The environment of one process. Documents live in the database (STORAGE=database): each
        process gets a STORAGE_DIR of its own, so nothing could work through a shared folder."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "FLASK_APP")}
        own = self.base / f"storage-{process}"
        own.mkdir(exist_ok=True)
        env.update({"DATABASE_URL": self.database_url, "REDIS_URL": self.redis.url, "STORAGE": "database",
                    "STORAGE_DIR": str(own), "PYTHONPATH": str(ROOT), **self.extra_env})
        return env

    def itad(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "itad.cli", *args], cwd=ROOT, env=self.env(),
                                capture_output=True, text=True, start_new_session=True)
        if result.returncode != 0:
            raise RuntimeError(f"itad {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def start_web(self) -> None:
        log = open(self.base / "gunicorn.log", "w")
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.gunicorn_workers), "--bind",
             f"127.0.0.1:{self.web_port}", "--timeout", "60", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=self.env("web"), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=2)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.web.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /api/v1/health (see {self.base / 'gunicorn.log'})")

    def start_worker(self) -> subprocess.Popen:
        path = self.base / f"worker-{len(self.workers)}.log"
        proc = subprocess.Popen([sys.executable, "-m", "itad.cli", "worker"], cwd=ROOT,
                                env=self.env(f"worker-{len(self.workers)}"),
                                stdout=open(path, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        self.worker_logs[proc.pid] = path
        return proc

    def live_workers(self) -> list[subprocess.Popen]:
        return [p for p in self.workers if p.poll() is None]

    def exited_workers(self) -> list[str]:
        """The logs of workers that stopped although nobody killed them."""
        return [str(self.worker_logs[p.pid]) for p in self.workers if p.poll() is not None and p.pid not in self.killed]

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one of our own workers (never a process we did not start)."""
        proc = next(p for p in self.workers if p.pid == pid)
        self.killed.add(pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart_redis(self, down_seconds: float) -> tuple[float, float]:
        """Stop Redis (its queues are lost: no persistence), wait, start it. Returns (stopped, started) times."""
        self.redis.stop()
        stopped = time.monotonic()
        time.sleep(down_seconds)
        self.redis.start()
        return stopped, time.monotonic()

    def restart_postgres(self, down_seconds: float) -> tuple[float, float]:
        self.postgres.stop("fast")
        stopped = time.monotonic()
        time.sleep(down_seconds)
        self.postgres.start()
        return stopped, time.monotonic()

    def logs(self) -> str:
        return str(self.base)

    def close(self) -> None:
        for proc in [*self.workers, self.web]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.web]:
            if proc is not None:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.redis.stop()
        if self.postgres.data.exists():
            self.postgres.stop("immediate")
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
