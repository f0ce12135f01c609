"""The faults of `bench/load.py --faults`, and what each must show.

- PostgreSQL stopped (pg_ctl -m fast: sessions cut) and started again after DOWN_SECONDS;
- Redis stopped and started again (no persistence: every message on its queues is lost);
- the worker running a 20,000-row import killed with SIGKILL while it inserts.

Each returns times (time.monotonic() for the requests, wall clock for the database) that
:func:`print_faults` turns into figures and verdicts once the load is over.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

DOWN_SECONDS = 5.0
RECOVERY_LIMIT = 30.0  # seconds after the dependency is back within which the server must answer again
KILLED_JOB_LIMIT = 120.0


def _first_ok_probe_after(run, since: float, limit: float = 60.0) -> float | None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for r in reversed(run.stats.snapshot()):
            if r.started < since:
                break
            if r.kind == "probe health" and r.status == 200:
                return r.started + r.seconds
        time.sleep(0.05)
    return None


def postgres_restart(run, stack, start_import) -> dict:
    began, wall = time.monotonic(), datetime.now(timezone.utc)
    down_at, up_at = stack.restart_postgres(DOWN_SECONDS)
    recovered = _first_ok_probe_after(run, up_at)
    return {"what": "PostgreSQL restart", "began": began, "began_wall": wall, "down_at": down_at, "up_at": up_at,
            "recovered_at": recovered}


def redis_restart(run, stack, start_import) -> dict:
    """Restart Redis while a worker runs an import: that worker must finish it and keep working.
    While Redis is away the admin asks for a device certificate: accepted, its job must wait in the
    database and be sent by the reaper once Redis is back."""
    job_id = start_import("INTAKE-R-")
    running = _wait_running(stack, job_id) if job_id else None
    began, wall = time.monotonic(), datetime.now(timezone.utc)
    stack.redis.stop()
    down_at = time.monotonic()
    asked = _ask_device_certificate(run)
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
    stack.redis.start()
    up_at, up_wall = time.monotonic(), datetime.now(timezone.utc)
    # The web tier does not need Redis to answer; it is back when a probe after the restart is.
    recovered = _first_ok_probe_after(run, up_at)
    return {"what": "Redis restart", "began": began, "began_wall": wall, "down_at": down_at, "up_at": up_at,
            "up_wall": up_wall, "recovered_at": recovered, "job_id": job_id, "job_running": running is not None,
            "asked_while_down": asked}


def _ask_device_certificate(run) -> int | None:
    """POST a device certificate for a unit the technicians cleared; the job id if accepted."""
    cleared = [w["device_id"] for w in run.ledger.writes if w["kind"] == "clear"]
    if not cleared:
        return None
    reply = run.http().call("device certificate", "POST", f"/api/v1/devices/{cleared[-1]}/certificates",
                            run.tokens["admin"], body={"reason": "asked while Redis restarts"})
    if reply.status != 202:
        run.abandoned.append(f"device certificate answered {reply.status}: {reply.text[:200]}")
        return None
    run.ledger.accepted("device certificate", job_id=reply.json["job_id"], request_id=reply.json["request_id"])
    return reply.json["job_id"]


def _wait_running(stack, job_id: int, limit: float = 90.0):
    """(rq_job_id, rows done) once a worker has claimed the job; None if it ended or never started."""
    import psycopg

    deadline = time.monotonic() + limit
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            state, done, rq_job_id = conn.execute("SELECT state, progress_done, rq_job_id FROM job WHERE id = %s",
                                                  (job_id,)).fetchone()
            if state == "running":
                return rq_job_id, done
            if state in ("succeeded", "failed"):
                return None
            time.sleep(0.05)
    return None


def kill_worker_running(run, stack, start_import) -> dict:
    """Start an import, wait until a worker has claimed it, SIGKILL that worker."""
    import psycopg
    import redis
    from rq.job import Job as RQJob

    out = {"what": "worker killed (SIGKILL)"}
    job_id = start_import("INTAKE-K-")
    if job_id is None:
        out["error"] = "the import was not accepted"
        return out
    out["job_id"] = job_id
    victim, deadline = None, time.monotonic() + 90
    while victim is None and time.monotonic() < deadline:
        running = _wait_running(stack, job_id)
        if running is None:
            out["error"] = "the import ended before a worker could be caught running it"
            return out
        # The message names the worker that took it (the registry of workers does not survive a
        # Redis restart; the message, sent after it, does).
        name = RQJob.fetch(running[0], connection=redis.Redis.from_url(stack.redis.url)).worker_name
        if name:
            victim = int(name.split("-")[-2])  # itad-<host>-<pid>-<random>
    if victim is None or victim not in [p.pid for p in stack.live_workers()]:
        out["error"] = "no worker of ours was found running the import"
        return out
    stack.kill_worker(victim)
    out.update(killed_pid=victim, killed_at=time.monotonic(), progress_at_kill=running[1])
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        while time.monotonic() < out["killed_at"] + KILLED_JOB_LIMIT:
            state, attempts = conn.execute("SELECT state, attempts FROM job WHERE id = %s", (job_id,)).fetchone()
            if state in ("succeeded", "failed"):
                out.update(final_state=state, attempts=attempts, finished_at=time.monotonic())
                break
            time.sleep(0.2)
        else:
            out["final_state"] = "unfinished"
    # As a supervisor would (systemd Restart=always), once the survivor has shown it copes alone.
    stack.start_worker()
    return out


def _window(run, fault: dict) -> dict:
    end = fault.get("recovered_at") or fault["up_at"] + RECOVERY_LIMIT
    records = [r for r in run.stats.snapshot() if fault["began"] <= r.started <= end]
    return run.stats.summary(None, records)


def _jobs_committed_between(app, start: datetime, end: datetime) -> list[tuple]:
    import sqlalchemy as sa

    from itad.models import Job, db

    with app.app_context():
        rows = db.session.execute(sa.select(Job.id, Job.kind, Job.state, Job.finished_at)
                                  .where(Job.created_at >= start, Job.created_at <= end)).all()
        db.session.remove()
    return rows


def print_faults(app, run, report: dict) -> bool:
    ok = True
    print("\nfaults:")
    for name in report.get("skipped", []):
        print(f"  {name}: SKIPPED (the load ended first)")
        ok = False
    for key in ("postgres_restart", "redis_restart"):
        fault = report.get(key)
        if not fault:
            continue
        w = _window(run, fault)
        recovered = fault["recovered_at"]
        recovery = (recovered - fault["up_at"]) if recovered else None
        verdicts = [w["500"] == 0, w["hang"] == 0, w["conn"] == 0, w["503_without_retry_after"] == 0,
                    recovery is not None and recovery <= RECOVERY_LIMIT]
        line = (f"  {fault['what']}: down {fault['up_at'] - fault['down_at']:.1f} s; during the window "
                f"{w['n']} requests: {w['ok']} 2xx, {w['503']} 503 ({w['503_without_retry_after']} without "
                f"Retry-After), {w['500']} 5xx other than 503, {w['hang']} hangs, {w['conn']} broken connections, "
                f"{w['409']} 409; recovered {recovery:.2f} s after it was back" if recovery is not None else
                f"  {fault['what']}: NOT recovered within {RECOVERY_LIMIT} s")
        if key == "postgres_restart":
            verdicts.append(w["503"] > 0)  # the outage was seen, and answered 503
        else:
            jobs = _jobs_committed_between(app, fault["began_wall"], fault["up_wall"])
            late = [(j.finished_at - fault["up_wall"]).total_seconds() for j in jobs if j.finished_at]
            unfinished = [j for j in jobs if j.state != "succeeded"]
            line += (f"; {len(jobs)} job(s) committed while it was down, {len(jobs) - len(unfinished)} succeeded"
                     + (f" (the last {max(late):.1f} s after Redis was back)" if late else ""))
            verdicts.append(not unfinished)
            line += (f"; import job {fault['job_id']} was {'running' if fault['job_running'] else 'NOT running'} "
                     f"then; device certificate job {fault['asked_while_down']} asked while it was down")
            verdicts += [fault["job_running"], fault["asked_while_down"] is not None]
        passed = all(verdicts)
        ok = ok and passed
        print(line + f"   {'PASS' if passed else 'FAIL'}")
    kill = report.get("kill_worker_running")
    if kill:
        if "error" in kill:
            print(f"  {kill['what']}: FAIL: {kill['error']}")
            ok = False
        else:
            took = kill.get("finished_at", 0) - kill["killed_at"] if "finished_at" in kill else None
            passed = kill.get("final_state") == "succeeded" and kill.get("attempts", 0) >= 2
            ok = ok and passed
            print(f"  {kill['what']}: pid {kill['killed_pid']} killed running import job {kill['job_id']} "
                  f"({kill['progress_at_kill']} rows done); the job {kill.get('final_state')} after {kill.get('attempts')} attempts, "
                  + (f"{took:.1f} s after the kill" if took is not None else "not within the limit")
                  + f"   {'PASS' if passed else 'FAIL'}")
    return ok
