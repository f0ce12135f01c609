"""Sending requests and counting what came back, for the load bench.

Each thread keeps one keep-alive connection (http.client: the lightest client at hand, so the
bench's own threads take as little CPU from the server as they can). Every answer is recorded with
its kind, start time, latency and status; a broken connection is recorded as "conn" and a request
that outlives REQUEST_TIMEOUT as "timeout" (a hang).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

REQUEST_TIMEOUT = 20.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Reply:
    status: int | str  # an HTTP status, "conn" (connection refused or dropped) or "timeout"
    data: bytes = b""
    retry_after: str | None = None

    @property
    def json(self):
        try:
            return json.loads(self.data)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.data[:500].decode(errors="replace")


@dataclass
class Record:
    kind: str
    started: float  # time.monotonic()
    seconds: float
    status: int | str
    retry_after: bool


class Stats:
    def __init__(self):
        self.records: list[Record] = []
        self._lock = threading.Lock()

    def add(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def total(self) -> int:
        return len(self.records)

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)

    def by_kind(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = defaultdict(list)
        for r in self.snapshot():
            out[r.kind].append(r)
        return out

    def summary(self, kind: str | None, records: list[Record] | None = None) -> dict:
        rows = [r for r in (records if records is not None else self.snapshot()) if kind is None or r.kind == kind]
        ok = [r for r in rows if isinstance(r.status, int) and 200 <= r.status < 300]
        latencies = [r.seconds * 1000 for r in rows if isinstance(r.status, int)]
        return {
            "n": len(rows), "ok": len(ok),
            "p50": percentile(latencies, 0.50), "p99": percentile(latencies, 0.99),
            "503": sum(1 for r in rows if r.status == 503),
            "409": sum(1 for r in rows if r.status == 409),
            "500": sum(1 for r in rows if isinstance(r.status, int) and r.status >= 500 and r.status != 503),
            "hang": sum(1 for r in rows if r.status == "timeout"),
            "conn": sum(1 for r in rows if r.status == "conn"),
            "other": sum(1 for r in rows if r.status != "timeout" and not (
                isinstance(r.status, int) and (200 <= r.status < 300 or r.status in (409, 503)))),
            "503_without_retry_after": sum(1 for r in rows if r.status == 503 and not r.retry_after),
        }


class Http:
    """One thread's connection to the server."""

    def __init__(self, port: int, stats: Stats):
        self.port, self.stats = port, stats
        self.conn: http.client.HTTPConnection | None = None

    def call(self, kind: str, method: str, path: str, token: str | None, body=None, raw: bytes | None = None,
             content_type: str | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = raw
        if body is not None:
            payload, content_type = json.dumps(body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        try:
            self._send(method, path, payload, headers)
            response = self.conn.getresponse()
            reply = Reply(response.status, response.read(), response.headers.get("Retry-After"))
            if response.will_close:
                self._reset()
        except (socket.timeout, TimeoutError):
            reply = Reply("timeout")
            self._reset()
        except (OSError, http.client.HTTPException) as exc:
            reply = Reply("conn", str(exc).encode())
            self._reset()
        self.stats.add(Record(kind, started, time.monotonic() - started, reply.status, reply.retry_after is not None))
        return reply

    def _send(self, method: str, path: str, payload, headers: dict) -> None:
        """Send on the kept-alive connection, or on a new one if the server had closed it while idle.

        gunicorn closes a connection idle for its keepalive seconds; a thread that calls rarely (closing a
        batch, uploading a list) then finds it gone when sending (broken pipe), and the server never saw
        the request: sent again on a new connection, as browsers and HTTP libraries do. A failure after
        the request went out is not retried: that one the server may have acted on, and it is counted."""
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.conn.request(method, path, payload, headers)
        except (BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
            self._reset()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            self.conn.request(method, path, payload, headers)

    def _reset(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None
