"""What to probe and with which credentials.

Secrets (community, v3 keys) are fields with repr=False: a Target ends up in job arguments, log lines
and tracebacks, and none of those may carry a credential.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pysnmp.hlapi.v3arch.asyncio import auth

AUTH_PROTOCOLS = {
    "MD5": auth.USM_AUTH_HMAC96_MD5,
    "SHA": auth.USM_AUTH_HMAC96_SHA,
    "SHA1": auth.USM_AUTH_HMAC96_SHA,
    "SHA224": auth.USM_AUTH_HMAC128_SHA224,
    "SHA256": auth.USM_AUTH_HMAC192_SHA256,
    "SHA384": auth.USM_AUTH_HMAC256_SHA384,
    "SHA512": auth.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": auth.USM_PRIV_CBC56_DES,
    "3DES": auth.USM_PRIV_CBC168_3DES,
    "AES": auth.USM_PRIV_CFB128_AES,
    "AES128": auth.USM_PRIV_CFB128_AES,
    "AES192": auth.USM_PRIV_CFB192_AES,
    "AES256": auth.USM_PRIV_CFB256_AES,
    # Cisco's key extension (net-snmp's AES-192-C / AES-256-C), "Blumenthal" in pysnmp
    "AES192C": auth.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256C": auth.USM_PRIV_CFB256_AES_BLUMENTHAL,
}


class TargetError(ValueError):
    """A Target that cannot be probed as given (unknown protocol, key too short...)."""


def _protocol_name(name: str) -> str:
    return name.upper().replace("-", "").replace("_", "")


@dataclass(frozen=True)
class Target:
    host: str
    port: int = 161
    version: Literal["1", "2c", "3"] = "2c"
    community: str | None = field(default="public", repr=False)
    user: str | None = None  # SNMPv3 security name
    auth_key: str | None = field(default=None, repr=False)
    auth_proto: str = "SHA"  # MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512
    priv_key: str | None = field(default=None, repr=False)
    priv_proto: str = "AES"  # DES, 3DES, AES (=AES128), AES192, AES256, AES192C, AES256C
    context_name: str = ""  # SNMPv3 context (also how snmpsim picks a recording over v3)
    timeout: float = 2.0  # seconds per attempt
    retries: int = 1
    max_seconds: float = 60.0  # whole-probe budget, so one crawling device cannot hold a job forever

    def __post_init__(self) -> None:
        if self.version not in ("1", "2c", "3"):
            raise TargetError(f"{self.host}: SNMP version must be '1', '2c' or '3', not {self.version!r}")
        if not 0 < self.port < 65536:
            raise TargetError(f"{self.host}: port {self.port} is not a UDP port")
        if self.timeout <= 0 or self.retries < 0 or self.max_seconds <= 0:
            raise TargetError(f"{self.host}: timeout and max_seconds must be > 0, retries >= 0")
        if self.version == "3":
            if not self.user:
                raise TargetError(f"{self.host}: SNMPv3 needs a user name")
            if _protocol_name(self.auth_proto) not in AUTH_PROTOCOLS:
                raise TargetError(f"{self.host}: unknown auth protocol {self.auth_proto!r}; "
                                  f"use one of {', '.join(AUTH_PROTOCOLS)}")
            if _protocol_name(self.priv_proto) not in PRIV_PROTOCOLS:
                raise TargetError(f"{self.host}: unknown privacy protocol {self.priv_proto!r}; "
                                  f"use one of {', '.join(PRIV_PROTOCOLS)}")
            if self.priv_key and not self.auth_key:
                raise TargetError(f"{self.host}: SNMPv3 privacy needs an auth key too")
            for name, key in (("auth", self.auth_key), ("privacy", self.priv_key)):
                if key is not None and len(key) < 8:  # RFC 3414 2.6; agents reject shorter ones
                    raise TargetError(f"{self.host}: SNMPv3 {name} key must be at least 8 characters")
        elif not self.community:
            raise TargetError(f"{self.host}: SNMPv{self.version} needs a community string")

    @property
    def attempt_seconds(self) -> float:
        """How long one request may go unanswered before we call the device silent."""
        return self.timeout * (self.retries + 1)

    def credentials_key(self) -> tuple:
        """Targets with equal keys may share an SNMP engine (pysnmp keys v3 users by name per engine)."""
        if self.version != "3":
            return ("community",)
        return ("usm", self.user, _protocol_name(self.auth_proto), self.auth_key,
                _protocol_name(self.priv_proto), self.priv_key)

    def auth_data(self) -> auth.CommunityData | auth.UsmUserData:
        if self.version != "3":
            return auth.CommunityData(self.community, mpModel=0 if self.version == "1" else 1)
        return auth.UsmUserData(
            self.user,
            authKey=self.auth_key,
            privKey=self.priv_key,
            authProtocol=AUTH_PROTOCOLS[_protocol_name(self.auth_proto)] if self.auth_key else auth.USM_AUTH_NONE,
            privProtocol=PRIV_PROTOCOLS[_protocol_name(self.priv_proto)] if self.priv_key else auth.USM_PRIV_NONE,
        )
