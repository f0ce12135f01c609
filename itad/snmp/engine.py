"""The pysnmp side of a sweep: engines shared by many devices, and one request sent through pysnmp's
public asyncio API (pysnmp.hlapi.v3arch.asyncio: get_cmd, next_cmd, bulk_cmd).

Building a pysnmp SnmpEngine costs ~90 ms of CPU, so a sweep of hundreds of devices uses one engine per
credential set (EnginePool), not one per device. Each engine receives on one UDP socket of its own with a
large buffer, added before the first request the way pysnmp's own configuration does (the hlapi then
uses it), and every datagram passes a routing callback first: pysnmp drops a datagram that is no SNMP
message without a word, and a device answering garbage must not look merely silent.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pysnmp.smi.mibs
from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.hlapi.v3arch.asyncio import (
    ContextData, ObjectIdentity, ObjectType, SnmpEngine, UdpTransportTarget, bulk_cmd, get_cmd, next_cmd,
)
from pysnmp.smi import builder, view

from itad.snmp.target import Target

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
NULL = univ.Null("")


class _NoMibCompiler:
    """Stands in for pysmi's MIB compiler, which pysnmp adds on first use when pysmi is installed.

    We address every object by numeric OID and never look names up, yet building that compiler's parser
    costs about a second of CPU per engine. Any MIB module not bundled with pysnmp simply reads as missing.
    """

    def compile(self, *names, **_options) -> dict[str, str]:
        return {name: "missing" for name in names}


def _socket() -> socket.socket:
    # One socket receives every device's answers. With the default 208 KiB buffer, a sweep's burst of
    # 5 KB GETBULK responses overflows it while Python decodes, the kernel drops them and healthy devices
    # look silent; ask for 4 MiB (the kernel caps it at net.core.rmem_max).
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    return sock


class EnginePool:
    """SNMP engines for one sweep, and a tally of datagrams that were not SNMP at all, by source address."""

    def __init__(self) -> None:
        self._engines: dict[tuple, SnmpEngine] = {}
        self._transports: list[udp.UdpAsyncioTransport] = []
        self.undecodable: dict[tuple[str, int], int] = {}
        self.first_garbage: dict[tuple[str, int], bytes] = {}

    def engine_for(self, target: Target) -> SnmpEngine:
        key = target.credentials_key()
        if key not in self._engines:
            engine = SnmpEngine()
            mibs = builder.MibBuilder()
            mibs.set_mib_compiler(_NoMibCompiler(), str(Path(pysnmp.smi.mibs.__file__).parent))
            engine.cache["mibViewController"] = view.MibViewController(mibs)  # the key pysnmp's hlapi looks up
            transport = udp.UdpAsyncioTransport().open_server_mode(sock=_socket())
            config.add_transport(engine, udp.DOMAIN_NAME, transport)
            engine.transport_dispatcher.register_routing_callback(self._observe)
            self._transports.append(transport)
            self._engines[key] = engine
        return self._engines[key]

    async def request(self, target: Target, to: UdpTransportTarget, kind: str, names: list[tuple[int, ...]],
                      repetitions: int = 0, non_repeaters: int = 0):
        """One GET / GETNEXT / GETBULK of numeric OIDs: (indication, error status, error index,
        [(oid, value), ...]). Answers are not looked up in MIBs (lookupMib=False): we read numbers."""
        engine = self.engine_for(target)
        objects = [ObjectType(ObjectIdentity(name), NULL) for name in names]
        common = (engine, target.auth_data(), to, ContextData(contextName=target.context_name))
        options = {"lookupMib": False, "ignoreNonIncreasingOid": True}   # a looping agent is bounded by the walk
        if kind == "bulk":
            return await bulk_cmd(*common, non_repeaters, repetitions, *objects, **options)
        if kind == "next":
            return await next_cmd(*common, *objects, **options)
        return await get_cmd(*common, *objects, **options)

    def _observe(self, _domain, address, message) -> None:
        if _snmp_version(message) not in (0, 1, 3):  # v1, v2c, v3
            self.undecodable[(str(address[0]), int(address[1]))] = \
                self.undecodable.get((str(address[0]), int(address[1])), 0) + 1
            self.first_garbage.setdefault((str(address[0]), int(address[1])), bytes(message[:16]))
        return None  # None routes the datagram to the engine as usual

    async def aclose(self) -> None:
        """Stop reading, let datagrams already queued reach the engine, then close.

        Closing straight away would leave answers that arrived in the last instant queued for a transport
        that no longer exists, and asyncio would log a CarrierError for each.
        """
        for transport in self._transports:
            if transport.transport is not None:
                try:
                    transport.transport.pause_reading()
                except Exception:
                    pass
        await asyncio.sleep(0)
        self.close()

    def close(self) -> None:
        for engine in self._engines.values():
            try:
                engine.close_dispatcher()
            except Exception:  # closing is best effort; the sweep's results are already in hand
                pass
        self._engines.clear()
        self._transports.clear()


def _snmp_version(message: bytes) -> int | None:
    """The version field of an SNMP message (SEQUENCE { INTEGER version, ... }), None if it is not one.

    Only the first few bytes, read where they lie: the routing callback sees every datagram of a sweep."""
    try:
        if message[0] != 0x30:
            return None
        at = 2 + (message[1] & 0x7F if message[1] & 0x80 else 0)  # short or long form length
        if message[at] != 0x02 or not 0 < message[at + 1] <= 4:
            return None
        return int.from_bytes(message[at + 2: at + 2 + message[at + 1]], "big", signed=True)
    except IndexError:
        return None
