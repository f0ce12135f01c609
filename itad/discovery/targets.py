"""What a probe is aimed at: the addresses as asked for (TargetSpec), checked, and made into itad.snmp Targets
with the app's timeouts. Read by the probe request (probes.py) and by its job (jobs.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from itad.errors import Invalid
from itad.snmp import Target


@dataclass(frozen=True)
class TargetSpec:
    """One address as asked for. `secret` holds the credential fields (see credentials.CREDENTIAL_FIELDS)."""

    address: str
    port: int = 161
    version: str = "2c"  # 1, 2c, 3
    device_id: int | None = None
    secret: dict = field(default_factory=dict, repr=False)


def target_for(spec: TargetSpec, config) -> Target:
    """The probe's Target, with the per-host timeout and retries from the app's configuration."""
    return Target(host=spec.address, port=spec.port, version=spec.version,
                  timeout=config["SNMP_TIMEOUT"], retries=config["SNMP_RETRIES"],
                  max_seconds=config["SNMP_MAX_SECONDS"],
                  **{k: v for k, v in spec.secret.items() if v is not None})


def normal_version(version: str) -> str:
    """'v2c', '2c', 'V3' -> '2c', '3' (people write it both ways)."""
    value = str(version).strip().lower().removeprefix("v")
    if value not in ("1", "2c", "3"):
        raise Invalid(f"SNMP version must be v1, v2c or v3, not {version!r}.", code="snmp_version")
    return value


def check_address(address: str) -> str:
    """A unicast IPv4 address: a probe is aimed at one device, never a broadcast or a whole network."""
    try:
        ip = ipaddress.IPv4Address(str(address).strip())
    except ValueError:
        raise Invalid(f"{address!r} is not an IPv4 address.", code="snmp_address") from None
    if ip.is_multicast or ip.is_unspecified or ip == ipaddress.IPv4Address("255.255.255.255"):
        raise Invalid(f"{ip} is not a single device's address.", code="snmp_address")
    return str(ip)
