"""SNMP probes: operators send addresses (and credentials) to identify; anyone reads results they may see.

A probe reconciled against a batch belongs to that batch's client, who reads its results like the rest
of the batch. Credentials are write-only: no response, job record or result ever carries one.
"""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from itad import batches
from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.jobs.routes import JobOut, job_out
from itad.api.schemas import Out, PageQuery
from itad.discovery import probes
from itad.discovery.targets import TargetSpec, check_address, normal_version
from itad.models import Job, SnmpResult, db
from itad.pagination import page

TAGS = ("snmp",)
MAX_TARGETS = 4096  # a hard cap for the schema; SNMP_MAX_TARGETS may set a lower one (413)

Secret = SecretStr | None


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SnmpCredentialsIn(In):
    version: Literal["v1", "v2c", "v3", "1", "2c", "3"] = "v2c"
    community: Secret = Field(None, min_length=1, max_length=255, description="v1 / v2c")
    user: str | None = Field(None, min_length=1, max_length=64, description="v3 security name")
    auth_key: Secret = Field(None, min_length=8, max_length=255, description="v3 authentication key")
    auth_protocol: Literal["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"] = "SHA"
    priv_key: Secret = Field(None, min_length=8, max_length=255, description="v3 privacy key")
    priv_protocol: Literal["DES", "3DES", "AES", "AES192", "AES256", "AES192C", "AES256C"] = "AES"
    context: str = Field("", max_length=64, description="v3 context name")

    @model_validator(mode="after")
    def _complete(self):
        if self.version.removeprefix("v") == "3":
            if not self.user:
                raise ValueError("SNMPv3 needs a user")
            if self.priv_key and not self.auth_key:
                raise ValueError("SNMPv3 privacy needs an auth key too")
        elif self.community is None:
            raise ValueError(f"SNMP{self.version} needs a community")
        return self

    def secret(self) -> dict:
        """The fields that travel sealed (itad.discovery.credentials)."""
        plain = lambda s: s.get_secret_value() if s is not None else None  # noqa: E731
        if self.version.removeprefix("v") != "3":
            return {"community": plain(self.community)}
        return {"community": None, "user": self.user, "auth_key": plain(self.auth_key),
                "auth_proto": self.auth_protocol, "priv_key": plain(self.priv_key),
                "priv_proto": self.priv_protocol, "context_name": self.context}


class SnmpTargetIn(In):
    address: IPv4Address
    port: int = Field(161, ge=1, le=65535)
    device_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                  description="the device you expect at this address: a different serial is a mismatch")
    credentials: SnmpCredentialsIn | None = Field(None, description="overrides the probe's credentials")


class SnmpProbeIn(In):
    targets: list[SnmpTargetIn] = Field(min_length=1, max_length=MAX_TARGETS)
    credentials: SnmpCredentialsIn | None = Field(None, description="for every target without its own")
    batch_id: int | None = Field(None, ge=1, le=2**31 - 1,
                                 description="reconcile with this batch's manifest (else the devices' batch)")

    @model_validator(mode="after")
    def _credentials(self):
        missing = [i for i, t in enumerate(self.targets) if t.credentials is None and self.credentials is None]
        if missing:
            raise ValueError(f"targets {missing[:10]} have no credentials, and the probe gives none")
        return self


class SnmpResultOut(Out):
    id: int
    probe_id: int
    address: str
    port: int
    version: str
    expected_device_id: int | None
    status: str = Field(description="pending, ok, unreachable, timeout, garbage, auth-failed, refused or error")
    error: str | None
    sys_descr: str | None
    sys_object_id: str | None
    sys_name: str | None
    sys_uptime: int | None = Field(description="hundredths of a second")
    chassis_serial: str | None
    model: str | None
    manufacturer: str | None
    entities: list[dict] | None
    storage: list[dict] | None
    media: list[dict] | None = Field(description="data-bearing media found, and the medium row each became")
    outcome: str | None = Field(description="confirmed, mismatched, unexpected, unidentified; null without a batch")
    outcome_message: str | None
    manifest_serial: str | None
    device_id: int | None = Field(description="the manifest device whose serial the device reported")
    seconds: float | None
    probed_at: datetime | None


class SnmpProbeOut(Out):
    id: int
    organization_id: int
    batch_id: int | None
    requested_by_id: int | None
    job_id: int | None
    target_count: int
    created_at: datetime
    finished_at: datetime | None
    job: JobOut | None = None
    results: list[SnmpResultOut] = []


class SnmpResultPage(Out):
    items: list[SnmpResultOut]
    next_cursor: int | None


def _probe_out(probe) -> SnmpProbeOut:
    out = SnmpProbeOut.model_validate(probe)
    job = db.session.get(Job, probe.job_id) if probe.job_id else None
    out.job = job_out(job) if job is not None else None
    return out


@bp.post("/snmp/probes")
@operation("Probe network-attached assets over SNMP (v1, v2c, v3) and reconcile them with a batch",
           roles=OPERATOR_ROLES, body=SnmpProbeIn, response=SnmpProbeOut, status=202, tags=TAGS,
           errors=(403, 404, 409, 413, 422))
def start_probe(body: SnmpProbeIn):
    specs = []
    for target in body.targets:
        credentials = target.credentials or body.credentials
        specs.append(TargetSpec(address=check_address(str(target.address)), port=target.port,
                                version=normal_version(credentials.version), device_id=target.device_id,
                                secret=credentials.secret()))
    probe, _sealed = probes.request_probe(db.session, current_user(), specs, batch_id=body.batch_id)
    return _probe_out(probe)


@bp.get("/snmp/probes/<int:probe_id>")
@operation("An SNMP probe: its job and what each address said", response=SnmpProbeOut, tags=TAGS, errors=(404,))
def get_probe(probe_id: int):
    return _probe_out(probes.get_probe(db.session, current_user(), probe_id))


@bp.get("/devices/<int:device_id>/snmp")
@operation("What SNMP probes said at the device's address, or about its serial", query=PageQuery,
           response=SnmpResultPage, tags=TAGS, errors=(404,))
def device_snmp(device_id: int, query: PageQuery):
    device = batches.get_device(db.session, current_user(), device_id)
    rows, next_cursor = page(db.session, probes.device_results(device), SnmpResult.id, query.limit, query.cursor)
    return SnmpResultPage(items=[SnmpResultOut.model_validate(r) for r in rows], next_cursor=next_cursor)
