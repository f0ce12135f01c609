"""Asking for a probe, and reading its results through the tenant rule.

A probe request is checked in full before anything is written (every target must make a valid Target,
every named device must exist and belong to the one batch), then becomes an SnmpProbe with one pending
SnmpResult per address and a job on the `snmp` queue, sent after commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from itad.auth.access import get_visible
from itad.errors import Conflict, Invalid, NotFound
from itad.discovery import credentials as sealing
from itad.discovery.jobs import probe_assets
from itad.discovery.targets import TargetSpec, target_for
from itad.jobs import enqueue
from itad.models import Batch, Device, Job, Organization, SnmpProbe, SnmpResult, User
from itad.snmp import TargetError


def request_probe(session: Session, actor: User | None, specs: list[TargetSpec], *,
                  batch_id: int | None = None, send_job: bool = True) -> tuple[SnmpProbe, str]:
    """Record the probe and (send_job) queue its job; returns the probe and the sealed credentials.

    With send_job=False (the CLI) the caller runs itad.discovery.jobs.probe_assets itself.
    """
    config = current_app.config
    if not specs:
        raise Invalid("Name at least one address to probe.", code="snmp_no_targets")
    if len(specs) > config["SNMP_MAX_TARGETS"]:
        raise Invalid(f"At most {config['SNMP_MAX_TARGETS']} addresses per probe; split the list.",
                      code="snmp_too_many_targets", status=413)
    for index, spec in enumerate(specs):
        try:
            target_for(spec, config)
        except TargetError as exc:  # its message names the host and the field, never a secret
            raise Invalid(f"Target {index + 1}: {exc}", code="snmp_target",
                          details={"index": index, "address": spec.address}) from None
    batch = _batch_for(session, batch_id, [s.device_id for s in specs if s.device_id is not None])
    organization_id = batch.organization_id if batch else _operator_org_id(session, actor)

    probe = SnmpProbe(organization_id=organization_id, batch_id=batch.id if batch else None,
                      requested_by_id=actor.id if actor else None, target_count=len(specs))
    session.add(probe)
    session.flush()
    session.add_all(SnmpResult(probe_id=probe.id, position=index, organization_id=organization_id,
                               address=spec.address, port=spec.port, version=spec.version,
                               expected_device_id=spec.device_id, status="pending")
                    for index, spec in enumerate(specs))
    sealed = sealing.seal(config["SECRET_KEY"], [spec.secret for spec in specs])
    if send_job:
        job = _enqueue(session, probe_assets, probe, actor, sealed)
        probe.job_id = job.id
    session.flush()
    return probe, sealed


def _enqueue(session: Session, func, probe: SnmpProbe, actor: User | None, sealed: str) -> Job:
    return enqueue(session, func, probe_id=probe.id, sealed=sealed, organization_id=probe.organization_id,
                   created_by_id=actor.id if actor else None)


def _batch_for(session: Session, batch_id: int | None, device_ids: list[int]) -> Batch | None:
    """The one batch the probe is reconciled against: named, or the batch of the devices named."""
    batch = None
    if batch_id is not None:
        batch = session.get(Batch, batch_id)
        if batch is None:
            raise NotFound(f"No batch with id {batch_id}.")
    devices = {d.id: d for d in session.scalars(sa.select(Device).where(Device.id.in_(set(device_ids))))} \
        if device_ids else {}
    for device_id in device_ids:
        if device_id not in devices:
            raise NotFound(f"No device with id {device_id}.")
    batch_ids = {d.batch_id for d in devices.values()}
    if batch is None and batch_ids:
        if len(batch_ids) > 1:
            raise Invalid("The devices named belong to several batches; probe one batch at a time.",
                          code="snmp_several_batches", details={"batches": sorted(batch_ids)})
        batch = session.get(Batch, batch_ids.pop())
    elif batch is not None and batch_ids - {batch.id}:
        raise Invalid(f"Every device named must belong to batch {batch.id}.", code="snmp_device_not_in_batch",
                      details={"devices": sorted(d.id for d in devices.values() if d.batch_id != batch.id)})
    if batch is not None and batch.status != "open":
        raise Conflict(f"Batch {batch.id} is closed; its devices can no longer be reconciled.",
                       code="batch_closed", details={"batch_status": batch.status})
    return batch


def _operator_org_id(session: Session, actor: User | None) -> int:
    if actor is not None:
        return actor.organization_id
    org_id = session.scalar(sa.select(Organization.id).where(Organization.kind == "operator")
                            .order_by(Organization.id).limit(1))
    if org_id is None:
        raise Invalid("No operator organization exists; create one (itad org create --kind operator) "
                      "or name a batch.", code="no_operator")
    return org_id


def get_probe(session: Session, user: User, probe_id: int) -> SnmpProbe:
    return get_visible(session, SnmpProbe, probe_id, user, "SNMP probe")


def device_results(device: Device) -> sa.Select:
    """Every result that names the device: as the one it identified, or the one the operator expected."""
    return sa.select(SnmpResult).where(
        sa.or_(SnmpResult.device_id == device.id, SnmpResult.expected_device_id == device.id))
