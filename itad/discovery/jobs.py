"""The `snmp` queue's job: probe every address of a request at once, then record what each said.

Probing goes through itad.snmp.probe_hosts (asyncio, at most SNMP_CONCURRENCY devices in flight); an
unreachable host, wrong credentials or a garbage answer is that host's result and never stops the rest.
The writes land in the job's one transaction. The sealed credentials leave the Job row in that same
transaction, or, when an attempt fails for good (the last one, or a refusal), just before the failure is recorded.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from itad.discovery import credentials as sealing
from itad.discovery import recording
from itad.discovery.targets import TargetSpec, target_for
from itad.errors import NotFound
from itad.jobs import JobContext, job
from itad.jobs.runner import fails_for_good
from itad.models import Job, SnmpProbe, SnmpResult, db
from itad.snmp import probe_hosts

log = logging.getLogger(__name__)


@job("snmp")
def probe_assets(ctx: JobContext, probe_id: int, sealed: str | None = None) -> dict:
    try:
        return _probe(ctx, probe_id, sealed)
    except Exception as exc:
        ctx.session.rollback()  # the runner would; done first so the checks below see a clean session
        if fails_for_good(exc) or _last_attempt(ctx):
            forget_credentials(ctx.job_id, separately=True)
        raise


def _probe(ctx: JobContext, probe_id: int, sealed: str | None) -> dict:
    session, config = ctx.session, current_app.config
    probe = session.get(SnmpProbe, probe_id)
    if probe is None:
        raise NotFound(f"No SNMP probe with id {probe_id}.")
    rows = list(session.scalars(sa.select(SnmpResult).where(SnmpResult.probe_id == probe.id)
                                .order_by(SnmpResult.position)))
    if sealed is None:  # a finished probe run again: its credentials are gone, its results stand
        return recording.summary(probe, rows)
    secret = sealing.unseal(config["SECRET_KEY"], sealed)
    targets = [target_for(TargetSpec(row.address, row.port, row.version, secret=secret[row.position]), config)
               for row in rows]
    total = len(targets)
    ctx.progress(0, total)
    results = probe_hosts(targets, concurrency=config["SNMP_CONCURRENCY"],
                          on_progress=lambda done, _total, _result: ctx.progress(done, total))
    outcome = recording.record(session, probe, rows, results, sealing.secrets_in(secret))
    forget_credentials(ctx.job_id, session=session)
    log.info("snmp probe %s: %s host(s), statuses %s, outcomes %s, %s medium(s) added", probe.id, total,
             outcome["statuses"], outcome["outcomes"], outcome["media_added"])
    return outcome


def _last_attempt(ctx: JobContext) -> bool:
    if ctx.job_id is None:
        return False
    max_attempts = db.session.execute(sa.select(Job.max_attempts).where(Job.id == ctx.job_id)).scalar()
    return max_attempts is not None and ctx.attempt >= max_attempts


def forget_credentials(job_id: int | None, *, session=None, separately: bool = False) -> None:
    """Drop the sealed credentials from the Job row's arguments.

    In the job's own session (committed with its success), or on a connection of its own when the job's
    transaction is about to be rolled back.
    """
    if job_id is None:
        return
    if not separately:
        job_row = session.get(Job, job_id)
        if job_row is not None and "sealed" in (job_row.args or {}):
            job_row.args = {k: v for k, v in job_row.args.items() if k != "sealed"}
        return
    with db.engine.begin() as conn:
        args = conn.execute(sa.select(Job.__table__.c.args).where(Job.__table__.c.id == job_id)).scalar()
        if args and "sealed" in args:
            conn.execute(sa.update(Job.__table__).where(Job.__table__.c.id == job_id)
                         .values(args={k: v for k, v in args.items() if k != "sealed"}))
