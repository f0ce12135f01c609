"""The pysnmp side of a sweep: engines shared by many devices, and one request sent through them.

SNMPv1 and v3 go through here; v2c requests skip pysnmp's engine (itad.snmp.direct), whose per-message
pyasn1 work was most of a sweep's CPU, and the pool only lends them its socket set-up and garbage tally.

Building a pysnmp SnmpEngine costs ~90 ms of CPU, so a sweep of hundreds of devices uses one engine per
credential set (EnginePool), not one per device. Requests go to pysnmp's message dispatcher (RFC 3412)
directly: its command generators first look the device up in the engine's SNMP-TARGET-MIB, so each new
device would have to be written there (LCD.configure), which cost ~4 ms of CPU per device, a sixth of a
sweep. Credentials are still registered once per engine the hlapi's way; the address goes with the request.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

import pysnmp.smi.mibs
from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.rfc3413 import config as rfc3413_config
from pysnmp.hlapi.v3arch.asyncio import SnmpEngine, UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind
from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation
from pysnmp.proto.proxy import rfc2576
from pysnmp.smi import builder, view

from itad.snmp.direct import DirectV2c
from itad.snmp.target import Target

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
DISCOVERY_RETRIES = 4  # SNMPv3 engine-id / time-window discovery rounds, as pysnmp's command generator allows
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


def _engine() -> tuple[SnmpEngine, udp.UdpAsyncioTransport]:
    engine = SnmpEngine()
    mibs = builder.MibBuilder()
    mibs.set_mib_compiler(_NoMibCompiler(), str(Path(pysnmp.smi.mibs.__file__).parent))
    engine.cache["mibViewController"] = view.MibViewController(mibs)  # the key pysnmp's hlapi looks up
    transport = udp.UdpAsyncioTransport().open_server_mode(sock=_socket())
    config.add_transport(engine, udp.DOMAIN_NAME, transport)
    return engine, transport


@dataclass(frozen=True)
class Route:
    """Everything pysnmp needs to send a PDU to one device, worked out once per device."""

    engine: SnmpEngine
    address: tuple[str, int]
    mp_model: int
    security_model: object
    security_name: object
    security_level: object
    context_name: object
    timeout_ticks: float
    retries: int


class EnginePool:
    """SNMP engines for one sweep (v1, v3), the direct v2c client, and a tally of datagrams that were not
    SNMP at all.

    The tally exists because pysnmp silently drops undecodable datagrams, so a device answering garbage
    would look exactly like a silent one. A routing callback (pysnmp's public hook that sees every datagram
    before decoding) counts them per source address; the direct client reports its own.
    """

    def __init__(self) -> None:
        self._engines: dict[tuple, SnmpEngine] = {}
        self._security: dict[tuple, tuple] = {}  # credentials -> (mp model, security model, name, level)
        self._transports: list[udp.UdpAsyncioTransport] = []
        self.undecodable: dict[tuple[str, int], int] = {}
        self.first_garbage: dict[tuple[str, int], bytes] = {}
        self._direct: DirectV2c | None = None

    async def direct(self) -> DirectV2c:
        """The sweep's v2c client (one socket), opened on first use."""
        if self._direct is None:
            client = DirectV2c(_socket(), self._garbage)
            await client.open()
            self._direct = self._direct or client
            if self._direct is not client:  # another device of the sweep opened one meanwhile
                client.close()
        return self._direct

    def engine_for(self, target: Target) -> SnmpEngine:
        key = target.credentials_key()
        if key not in self._engines:
            engine, transport = _engine()
            self._transports.append(transport)
            engine.transport_dispatcher.register_routing_callback(self._observe)
            self._engines[key] = engine
        return self._engines[key]

    async def route(self, target: Target) -> Route:
        """Resolve the device's address and make sure its engine knows these credentials."""
        engine = self.engine_for(target)
        transport = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout,
                                                    retries=target.retries)
        key = (target.credentials_key(), target.version, target.community)
        if key not in self._security:
            # The community / v3 user, once per engine, the hlapi's way (which also adds this one address);
            # the security parameters are read back as pysnmp itself will look them up when sending.
            target_name, _ = LCD.configure(engine, target.auth_data(), transport, target.context_name)
            self._security[key] = rfc3413_config.get_target_info(engine, target_name)[4:]
        mp_model, security_model, security_name, security_level = self._security[key]
        snmp_admin_string, = engine.get_mib_builder().import_symbols("SNMP-FRAMEWORK-MIB", "SnmpAdminString")
        return Route(
            engine=engine, address=tuple(transport.transport_address)[:2], mp_model=int(mp_model),
            security_model=security_model, security_name=security_name, security_level=security_level,
            context_name=snmp_admin_string(target.context_name),
            timeout_ticks=target.timeout / engine.transport_dispatcher.get_timer_resolution(),
            retries=target.retries)

    def _observe(self, _domain, address, message) -> None:
        if _snmp_version(message) not in (0, 1, 3):  # v1, v2c, v3
            self._garbage((str(address[0]), int(address[1])), message)
        return None  # None routes the datagram to the engine as usual

    def _garbage(self, source: tuple[str, int], message: bytes) -> None:
        self.undecodable[source] = self.undecodable.get(source, 0) + 1
        self.first_garbage.setdefault(source, bytes(message[:16]))

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
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        for engine in self._engines.values():
            try:
                engine.close_dispatcher()
            except Exception:  # closing is best effort; the sweep's results are already in hand
                pass
        self._engines.clear()
        self._transports.clear()


def _snmp_version(message: bytes) -> int | None:
    """The version field of an SNMP message (SEQUENCE { INTEGER version, ... }), None if it is not one.

    Read by hand: pysnmp's decode_message_version runs the full BER decoder, a measurable cost on every
    datagram of a sweep when all we need is the first few bytes.
    """
    try:
        if message[0] != 0x30:
            return None
        at = 2 + (message[1] & 0x7F if message[1] & 0x80 else 0)  # short or long form length
        if message[at] != 0x02 or not 0 < message[at + 1] <= 4:
            return None
        return int.from_bytes(message[at + 2: at + 2 + message[at + 1]], "big", signed=True)
    except IndexError:
        return None


def send(route: Route, kind: str, names: list[tuple[int, ...]], repetitions: int = 0,
         non_repeaters: int = 0) -> asyncio.Future:
    """Send one GET / GETNEXT / GETBULK of numeric OIDs; resolves to (indication, status, index, varbinds).

    What pysnmp's command generator does, minus the SNMP-TARGET-MIB lookup: retries after a timeout,
    the SNMPv3 discovery exchange (a report of unknown engine id or time window is answered by sending
    again, which pysnmp then does with the learnt values), SNMPv1 PDU translation, request-id check.
    """
    if kind == "bulk":
        pdu = v2c.GetBulkRequestPDU()
        v2c.apiBulkPDU.set_defaults(pdu)
        v2c.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
        v2c.apiBulkPDU.set_max_repetitions(pdu, repetitions)
    else:
        pdu = v2c.GetNextRequestPDU() if kind == "next" else v2c.GetRequestPDU()
        v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, [(name, NULL) for name in names])
    future = asyncio.get_running_loop().create_future()
    attempts = {"retries": 0, "discovery": 0}

    def finish(result) -> None:
        if not future.done():
            future.set_result(result)

    def transmit() -> None:
        outgoing = rfc2576.v2_to_v1(pdu) if route.mp_model == 0 else pdu
        route.engine.message_dispatcher.send_pdu(
            route.engine, udp.DOMAIN_NAME, route.address, route.mp_model, route.security_model,
            route.security_name, route.security_level, None, route.context_name,
            0 if route.mp_model == 0 else 1, outgoing, True, route.timeout_ticks, answered, None)

    def answered(_engine, mp_model, _security_model, _security_name, _security_level, _context_engine_id,
                 _context_name, _pdu_version, response, status_information, _handle, _context) -> None:
        if status_information:
            indication = status_information["errorIndication"]
            if indication in (errind.notInTimeWindow, errind.unknownEngineID):
                attempts["discovery"] += 1
                attempts["retries"] = 0
                again = attempts["discovery"] <= DISCOVERY_RETRIES
            else:
                attempts["discovery"] = 0
                attempts["retries"] += 1
                again = attempts["retries"] <= route.retries
            return attempt() if again else finish((indication, 0, 0, ()))
        try:
            if mp_model == 0:
                response = rfc2576.v1_to_v2(response, pdu)
            if v2c.apiPDU.get_request_id(response) != v2c.apiPDU.get_request_id(pdu):
                return finish(("badResponse", 0, 0, ()))
            finish((None, v2c.apiPDU.get_error_status(response),
                    v2c.apiPDU.get_error_index(response, muteErrors=True), v2c.apiPDU.get_varbinds(response)))
        except Exception as exc:  # raised here, it would vanish in pysnmp's receive path and leave us waiting
            fail(exc)

    def fail(exc: Exception) -> None:
        if not future.done():
            future.set_exception(exc)

    def attempt() -> None:
        try:
            transmit()
        except StatusInformation as information:  # the security module refused to build the message
            finish((information["errorIndication"], 0, 0, ()))
        except Exception as exc:  # a retry runs in pysnmp's timer callback, where a raise would be lost
            fail(exc)

    attempt()
    return future
