"""What the load bench was told it got, and the check afterwards that the database has all of it.

Every write the server accepted (a 2xx) is written down with the ids its answer named: the batch a
registration made, the custody event a bench step appended, the wipe record, the verification, the
job an upload started. After the run, :func:`check` looks each one up in the database; one missing
is a lost write. It also recomputes every custody chain (the service behind ``itad audit verify``),
looks at every job, and verifies every certificate the run issued (the service behind /verify,
and ``pdfsig`` on a few).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

# The state a device is in once each accepted step is done, in the order of the flow.
STATE_AFTER = {"receive": "received", "sanitize": "sanitized", "verify": "verified", "grade": "graded",
               "clear": "cleared"}
FLOW = ["registered", "received", "sanitized", "verified", "graded", "cleared"]


@dataclass
class Ledger:
    writes: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self, kind: str, **ids) -> None:
        with self._lock:
            self.writes.append({"kind": kind, **ids})

    def count(self) -> Counter:
        with self._lock:
            return Counter(w["kind"] for w in self.writes)


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)
    chains: int = 0
    broken_chains: list[str] = field(default_factory=list)
    jobs: Counter = field(default_factory=Counter)
    unfinished_jobs: list[str] = field(default_factory=list)
    certificates: int = 0
    bad_certificates: list[str] = field(default_factory=list)
    pdfsig_checked: int = 0
    duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.broken_chains or self.unfinished_jobs or self.bad_certificates
                    or self.duplicates)


def check(app, ledger: Ledger, pdfsig_sample: int = 3) -> Findings:
    from itad.models import (
        Batch, Certificate, CertificateRequest, CustodyEvent, Device, Job, SanitizationRecord, Verification, db,
    )
    from itad.steps import custody

    found = Findings()
    with app.app_context():
        s = db.session
        events = {row.id: row for row in s.execute(sa.select(CustodyEvent.id, CustodyEvent.device_id,
                                                             CustodyEvent.batch_id, CustodyEvent.action))}
        states = dict(s.execute(sa.select(Device.id, Device.state)).all())
        records = set(s.scalars(sa.select(SanitizationRecord.id)))
        checks = set(s.scalars(sa.select(Verification.id)))
        batches = {b.id: b for b in s.scalars(sa.select(Batch))}
        device_counts = dict(s.execute(sa.select(Device.batch_id, sa.func.count()).group_by(Device.batch_id)).all())
        jobs = {j.id: j for j in s.scalars(sa.select(Job))}
        furthest: dict[int, int] = {}

        for w in ledger.writes:
            kind = w["kind"]
            found.checked[kind] += 1
            if kind in STATE_AFTER:
                event = events.get(w["event_id"])
                if event is None or event.device_id != w["device_id"]:
                    found.lost.append(f"{kind} of device {w['device_id']}: event {w['event_id']} not in the chain")
                    continue
                if kind == "sanitize" and w["record_id"] not in records:
                    found.lost.append(f"sanitize of device {w['device_id']}: record {w['record_id']} missing")
                if kind == "verify" and w["verification_id"] not in checks:
                    found.lost.append(f"verify of device {w['device_id']}: verification {w['verification_id']} missing")
                rank = FLOW.index(STATE_AFTER[kind])
                furthest[w["device_id"]] = max(furthest.get(w["device_id"], 0), rank)
            elif kind == "register":
                batch = batches.get(w["batch_id"])
                if batch is None or device_counts.get(w["batch_id"], 0) != w["devices"]:
                    found.lost.append(f"registration of batch {w['batch_id']}: "
                                      f"{device_counts.get(w['batch_id'], 0)} of {w['devices']} devices")
            elif kind == "intake":
                job = jobs.get(w["job_id"])
                if job is None:
                    found.lost.append(f"intake job {w['job_id']} missing")
                    continue
                batch_id = (job.result or {}).get("batch_id")
                if job.state != "succeeded" or device_counts.get(batch_id, 0) != w["rows"]:
                    found.lost.append(f"intake job {job.id} ({job.state}): batch {batch_id} has "
                                      f"{device_counts.get(batch_id, 0)} of {w['rows']} devices")
            elif kind == "device certificate":
                job = jobs.get(w["job_id"])
                issued = s.scalar(sa.select(sa.func.count()).select_from(Certificate).where(
                    Certificate.request_id == w["request_id"]))
                if job is None or job.state != "succeeded" or issued != 1:
                    found.lost.append(f"device certificate request {w['request_id']}: job "
                                      f"{job.state if job else 'missing'}, {issued} certificates")
            elif kind == "close":
                batch = batches.get(w["batch_id"])
                closed_event = s.scalar(sa.select(sa.func.count()).select_from(CustodyEvent).where(
                    CustodyEvent.batch_id == w["batch_id"], CustodyEvent.action == "close_batch"))
                if batch is None or batch.status != "closed" or closed_event != 1:
                    found.lost.append(f"close of batch {w['batch_id']}: status "
                                      f"{batch.status if batch else None}, {closed_event} close events")
                    continue
                issued = s.scalar(sa.select(sa.func.count()).select_from(Certificate).where(
                    Certificate.batch_id == w["batch_id"], Certificate.kind == "batch",
                    Certificate.status == "issued"))
                if issued != 1:
                    found.lost.append(f"batch {w['batch_id']} closed but {issued} certificates issued")

        # A device must be at least as far along as its last accepted step says.
        for device_id, rank in furthest.items():
            state = states.get(device_id)
            if state not in FLOW or FLOW.index(state) < rank:
                found.lost.append(f"device {device_id} is {state}, an accepted step said {FLOW[rank]}")

        for batch_id in custody.batch_ids(s):
            report = custody.verify_batch(s, batch_id)
            found.chains += 1
            if not report["ok"]:
                found.broken_chains.append(f"batch {batch_id}: event {report['first_bad_event_id']}: "
                                           f"{report['reason']}")

        for job in jobs.values():
            found.jobs[job.state] += 1
            if job.state != "succeeded":
                found.unfinished_jobs.append(f"job {job.id} {job.kind} {job.state}: {job.error}")

        # One certificate per request, however often its job ran.
        dupes = s.execute(sa.select(Certificate.request_id, sa.func.count()).group_by(Certificate.request_id)
                          .having(sa.func.count() > 1)).all()
        found.duplicates += [f"request {r} has {n} certificates" for r, n in dupes]
        unissued = s.scalars(sa.select(CertificateRequest.id).where(
            ~sa.exists().where(Certificate.request_id == CertificateRequest.id))).all()
        found.bad_certificates += [f"certificate request {r} never issued" for r in unissued]
        _verify_certificates(s, found, pdfsig_sample)
    return found


def _verify_certificates(session, found: Findings, pdfsig_sample: int) -> None:
    from itad.certification import issuing, verifying
    from itad.models import Certificate

    certs = session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
    pdfsig = shutil.which("pdfsig")
    for i, cert in enumerate(certs):
        found.certificates += 1
        pdf = issuing.read_pdf(cert)
        verdict = verifying.verify_upload(session, pdf)
        if not verdict["genuine"]:
            found.bad_certificates.append(f"{cert.number}: {verdict['verdict']} {verdict['reason']}")
        if pdfsig and (i < pdfsig_sample or i == len(certs) - 1):
            with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
                fh.write(pdf)
                fh.flush()
                out = subprocess.run([pdfsig, fh.name], capture_output=True, text=True)
            found.pdfsig_checked += 1
            if "Signature is Valid" not in out.stdout or "Total document signed" not in out.stdout:
                found.bad_certificates.append(f"{cert.number}: pdfsig says {out.stdout.strip()[-200:]}")
