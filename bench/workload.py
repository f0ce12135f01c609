"""The people the load bench plays, one thread each: clients, technicians, the admin who closes
batches, a client uploading a 20,000-row list, and a probe. What they share is a :class:`Run`; every
write the server accepts goes into its ledger with the ids the answer named."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import threading
import time
import uuid
from collections import defaultdict, deque

from ledger import Ledger
from loadgen import Http, Stats

TECH_THREADS = 6
TECHNICIANS = 4
CLIENT_ORGS = 3
BATCH_DEVICES = 20
RECEIVED_PER_BATCH = 18
INTAKE_ROWS = 20_000
LOW_WATER = 40  # devices waiting at the bench before a client registers another batch
WIPE = {"method": "purge", "technique": "crypto_erase", "tool": "nwipe", "tool_version": "0.37"}
STEPS = ["receive", "sanitize", "verify", "grade", "clear"]
NEXT_STEP = {"registered": 0, "received": 1, "sanitized": 2, "verified": 3, "graded": 4, "cleared": 5}



def asset_list_csv(rows: int, prefix: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Serial Number", "Asset Tag", "Manufacturer", "Model", "Category", "Drive Serial"])
    for i in range(rows):
        writer.writerow([f"{prefix}{i:07d}", f"AT-{prefix}{i:07d}", "Dell Inc.", "Latitude 7490", "Laptop",
                         f"WD-{prefix}{i:07d}"])
    return out.getvalue().encode()


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# -- the load ----------------------------------------------------------------------------------

class Run:
    """What the threads share: the clock, the work at the bench, the batches to close, the ledger."""

    def __init__(self, port: int, tokens: dict, seconds: float, max_requests: int):
        self.port, self.tokens = port, tokens
        self.stats = Stats()
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.max_requests = max_requests
        self.lock = threading.Lock()
        self.work: deque = deque()
        self.to_close: deque = deque()
        self.done_in_batch: dict[int, int] = defaultdict(int)
        self.batches_by_client: dict[int, list[int]] = defaultdict(list)
        self.registering = 0
        self.abandoned: list[str] = []
        self.intake_jobs: list[int] = []
        self.stopped_at: float | None = None

    def running(self) -> bool:
        if not self.stop.is_set() and (time.monotonic() > self.deadline or self.stats.total() >= self.max_requests):
            self.stopped_at = time.monotonic()
            self.stop.set()
        return not self.stop.is_set()

    def http(self) -> Http:
        return Http(self.port, self.stats)

    def persist(self, http: Http, kind: str, method: str, path: str, token: str, grace: float = 30.0, **kw):
        """Send until the answer is not 503 / a broken connection (an outage): the bench's technicians
        and admin retry, as a person would. Gives up `grace` seconds after the run stops."""
        delay = 0.2
        while True:
            reply = http.call(kind, method, path, token, **kw)
            if reply.status not in (503, "conn", "timeout"):
                return reply
            if self.stop.is_set() and time.monotonic() > self.deadline + grace:
                return reply
            time.sleep(min(delay, float(reply.retry_after or 1)))
            delay = min(delay * 2, 1.0)


def client_loop(run: Run, n: int) -> None:
    http, token = run.http(), run.tokens["clients"][n]
    registered = 0
    while run.running():
        with run.lock:
            short = len(run.work) < LOW_WATER and run.registering < 2
            if short:
                run.registering += 1
        if short:
            try:
                register(run, http, token, n, registered)
                registered += 1
            finally:
                with run.lock:
                    run.registering -= 1
            continue
        browse(run, http, token, n)


def register(run: Run, http: Http, token: str, n: int, seq: int) -> None:
    prefix = f"C{n}B{seq:04d}-"
    rows = [{"Serial Number": f"{prefix}{i:03d}", "Asset Tag": f"AT-{prefix}{i:03d}", "Manufacturer": "Dell",
             "Model": "Latitude 5490", "Category": "Laptop", "Drive Serial": f"DR-{prefix}{i:03d}"}
            for i in range(BATCH_DEVICES)]
    # A retried registration of the same list answers 200 with the batch the first one made.
    reply = run.persist(http, "register batch", "POST", "/api/v1/batches", token,
                        body={"reference": f"LOAD-{prefix}", "rows": rows})
    if reply.status not in (200, 201):
        return
    body = reply.json
    batch_id = body["batch"]["id"]
    run.ledger.accepted("register", batch_id=batch_id, devices=BATCH_DEVICES)
    units = [(r["device_id"], r["serial"], batch_id) for r in body["row_results"]][:RECEIVED_PER_BATCH]
    with run.lock:
        if batch_id not in run.batches_by_client[n]:
            run.batches_by_client[n].append(batch_id)
            run.work.extend(units)


def browse(run: Run, http: Http, token: str, n: int) -> None:
    reply = http.call("list batches", "GET", "/api/v1/batches?limit=20", token)
    if reply.status != 200 or not reply.json["items"]:
        time.sleep(0.1)
        return
    batch = random.choice(reply.json["items"])
    http.call("list devices", "GET", f"/api/v1/batches/{batch['id']}/devices?limit=50", token)
    if batch["status"] != "closed":
        return
    reply = http.call("list certificates", "GET", f"/api/v1/batches/{batch['id']}/certificates", token)
    issued = [c for c in (reply.json or {}).get("items", []) if c["status"] == "issued"] if reply.status == 200 else []
    if issued:
        cert = issued[0]
        pdf = http.call("download certificate", "GET", f"/api/v1/certificates/{cert['id']}/pdf", token)
        if pdf.status == 200 and hashlib.sha256(pdf.data).hexdigest() != cert["sha256"]:
            run.abandoned.append(f"certificate {cert['number']} downloaded with the wrong SHA-256")


def tech_loop(run: Run, n: int) -> None:
    http = run.http()
    me = run.tokens["techs"][n % TECHNICIANS]
    checker = run.tokens["techs"][(n + 1) % TECHNICIANS]
    while run.running():
        with run.lock:
            unit = run.work.popleft() if run.work else None
        if unit is None:
            time.sleep(0.05)
            continue
        if process(run, http, me, checker, *unit):
            with run.lock:
                run.done_in_batch[unit[2]] += 1
                if run.done_in_batch[unit[2]] == RECEIVED_PER_BATCH:
                    run.to_close.append(unit[2])


def process(run: Run, http: Http, me: str, checker: str, device_id: int, serial: str, batch_id: int) -> bool:
    """One unit through the bench. A 409 (a step retried after an outage may have been done) is
    resolved by reading the unit's state and going on from there."""
    step = 0
    while step < len(STEPS):
        if not run.running():
            return False
        name = STEPS[step]
        path = f"/api/v1/devices/{device_id}"
        if name == "receive":
            reply = run.persist(http, name, "POST", "/api/v1/receive", me, body={"serial": serial, "batch_id": batch_id})
        elif name == "sanitize":
            reply = run.persist(http, name, "POST", f"{path}/sanitizations", me, body=WIPE)
        elif name == "verify":
            reply = run.persist(http, name, "POST", f"{path}/verifications", checker, body={"passed": True})
        elif name == "grade":
            reply = run.persist(http, name, "POST", f"{path}/grade", me, body={"grade": "A"})
        else:
            reply = run.persist(http, name, "POST", f"{path}/clear", me, body={})
        if reply.status in (200, 201):
            body = reply.json
            event = (body.get("event") or {}).get("id")
            extra = {}
            if name == "sanitize":
                extra["record_id"] = body["record"]["id"]
            if name == "verify":
                extra["verification_id"] = body["verification"]["id"]
            run.ledger.accepted(name, device_id=device_id, event_id=event, **extra)
            step += 1
        elif reply.status == 409:
            state = run.persist(http, "get device", "GET", path, me)
            if state.status != 200 or state.json["state"] not in NEXT_STEP:
                run.abandoned.append(f"device {device_id}: {name} answered 409, then {state.status}")
                return False
            step = NEXT_STEP[state.json["state"]]
        else:
            run.abandoned.append(f"device {device_id}: {name} answered {reply.status}: {reply.text[:200]}")
            return False
    return True


def admin_loop(run: Run) -> None:
    http, token = run.http(), run.tokens["admin"]
    while True:
        with run.lock:
            batch_id = run.to_close.popleft() if run.to_close else None
        if batch_id is None:
            if not run.running():
                return
            time.sleep(0.1)
            continue
        reply = run.persist(http, "close batch", "POST", f"/api/v1/batches/{batch_id}/close", token, body={})
        if reply.status == 200:
            run.ledger.accepted("close", batch_id=batch_id)
        elif not (reply.status == 409 and (reply.json or {}).get("error", {}).get("code") == "batch_closed"):
            run.abandoned.append(f"close of batch {batch_id} answered {reply.status}: {reply.text[:200]}")


def intake(run: Run, http: Http, prefix: str) -> int | None:
    """Upload a 20,000-row list (202: a job registers it) and return the job id."""
    data, content_type = multipart({"reference": f"LOAD-INTAKE-{prefix}"}, f"{prefix}.csv",
                                   asset_list_csv(INTAKE_ROWS, prefix))
    reply = run.persist(http, "intake 20k upload", "POST", "/api/v1/batches", run.tokens["clients"][0],
                        raw=data, content_type=content_type)
    if reply.status != 202:
        run.abandoned.append(f"intake upload answered {reply.status}: {reply.text[:200]}")
        return None
    job_id = reply.json["job_id"]
    run.ledger.accepted("intake", job_id=job_id, rows=INTAKE_ROWS)
    run.intake_jobs.append(job_id)
    return job_id


def intake_loop(run: Run) -> None:
    http = run.http()
    time.sleep(2)
    job_id = intake(run, http, "INTAKE-A-")
    while job_id and run.running():
        reply = http.call("job status", "GET", f"/api/v1/jobs/{job_id}", run.tokens["clients"][0])
        if reply.status == 200 and reply.json["state"] in ("succeeded", "failed"):
            return
        time.sleep(1)


def probe_loop(run: Run) -> None:
    """A steady reader beside the load, so every outage window has answers to count."""
    http = run.http()
    while run.running():
        http.call("probe health", "GET", "/api/v1/health", None)
        time.sleep(0.1)
