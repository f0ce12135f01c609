"""Talking SNMP to one device: GET a few OIDs, walk a few table columns, and say plainly what went wrong.

pysnmp reports failures as error-indication objects; here they become AgentError subclasses whose message
a technician can act on. Engines are shared: building a pysnmp SnmpEngine costs ~90 ms of CPU, so a sweep
of hundreds of devices uses one engine per credential set (EnginePool), not one per device.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pysnmp.smi.mibs
from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.rfc3413 import cmdgen as rfc3413
from pysnmp.hlapi.v3arch.asyncio import ContextData, SnmpEngine, UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind
from pysnmp.proto.api import verdec
from pysnmp.smi import builder, view

from itad.snmp.oids import as_dotted, as_tuple
from itad.snmp.target import Target

# Per GETBULK: under snmpsim's default cap (64); an agent that cannot fit them all returns fewer rows, and
# the walk simply asks again from where the answer stopped.
MAX_VARBINDS_PER_REQUEST = 60
MAX_ROWS_PER_COLUMN = 10_000  # a broken agent that loops must not keep us walking forever
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
TOO_BIG = 1
NO_SUCH_NAME = 2  # SNMPv1 errorStatus for "end of MIB" / "no such OID"
NULL = univ.Null("")


Rows = dict[str, dict[tuple[int, ...], object]]  # column OID -> row index -> raw value


class AgentError(Exception):
    """The device could not be read; str() is the human-readable reason."""


class NoResponse(AgentError):
    pass


class AuthenticationFailed(AgentError):
    pass


class Garbage(AgentError):
    pass


class Refused(AgentError):
    pass


class _NoMibCompiler:
    """Stands in for pysmi's MIB compiler, which pysnmp adds on first use when pysmi is installed.

    We address every object by numeric OID and never look names up, yet building that compiler's parser
    costs about a second of CPU per engine. Any MIB module not bundled with pysnmp simply reads as missing.
    """

    def compile(self, *names, **_options) -> dict[str, str]:
        return {name: "missing" for name in names}


def _engine() -> tuple[SnmpEngine, udp.UdpAsyncioTransport]:
    engine = SnmpEngine()
    mibs = builder.MibBuilder()
    mibs.set_mib_compiler(_NoMibCompiler(), str(Path(pysnmp.smi.mibs.__file__).parent))
    engine.cache["mibViewController"] = view.MibViewController(mibs)  # the key pysnmp's hlapi looks up
    # One socket receives every device's answers. With the default 208 KiB buffer, a sweep's burst of
    # 5 KB GETBULK responses overflows it while Python decodes, the kernel drops them and healthy devices
    # look silent; ask for 4 MiB (the kernel caps it at net.core.rmem_max).
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    transport = udp.UdpAsyncioTransport().open_server_mode(sock=sock)
    config.add_transport(engine, udp.DOMAIN_NAME, transport)
    return engine, transport


class EnginePool:
    """SNMP engines for one sweep, plus a tally of datagrams that were not SNMP at all.

    The tally exists because pysnmp silently drops undecodable datagrams, so a device answering garbage
    would look exactly like a silent one. A routing callback (pysnmp's public hook that sees every datagram
    before decoding) counts them per source address.
    """

    def __init__(self) -> None:
        self._engines: dict[tuple, SnmpEngine] = {}
        self._transports: list[udp.UdpAsyncioTransport] = []
        self.undecodable: dict[tuple[str, int], int] = {}
        self.first_garbage: dict[tuple[str, int], bytes] = {}

    def engine_for(self, target: Target) -> SnmpEngine:
        key = target.credentials_key()
        if key not in self._engines:
            engine, transport = _engine()
            self._transports.append(transport)
            engine.transport_dispatcher.register_routing_callback(self._observe)
            self._engines[key] = engine
        return self._engines[key]

    def _observe(self, _domain, address, message) -> None:
        try:
            snmp = int(verdec.decode_message_version(message)) in (0, 1, 3)  # v1, v2c, v3
        except Exception:
            snmp = False
        if not snmp:
            source = (str(address[0]), int(address[1]))
            self.undecodable[source] = self.undecodable.get(source, 0) + 1
            self.first_garbage.setdefault(source, bytes(message[:16]))
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


class Session:
    """One device, one credential set. Every method raises AgentError or returns data."""

    def __init__(self, pool: EnginePool, target: Target) -> None:
        self.pool = pool
        self.target = target
        self.engine = pool.engine_for(target)
        self._auth = target.auth_data()
        self._context = ContextData(contextName=target.context_name) if target.context_name else ContextData()
        self._transport: UdpTransportTarget | None = None
        self._address: tuple[str, int] | None = None
        self._target_name: str | None = None
        self._max_varbinds = MAX_VARBINDS_PER_REQUEST

    async def _transport_target(self) -> UdpTransportTarget:
        if self._transport is None:
            try:
                self._transport = await UdpTransportTarget.create(
                    (self.target.host, self.target.port), timeout=self.target.timeout, retries=self.target.retries)
            except Exception as exc:
                raise NoResponse(f"cannot resolve {self.target.host}: {exc}") from None
            self._address = tuple(self._transport.transport_address)[:2]
        return self._transport

    async def get(self, oids: tuple[str, ...]) -> dict[str, object]:
        """Values by dotted OID; absent objects come back as pysnmp's noSuch* (read as None downstream)."""
        wanted = list(oids)
        while wanted:
            indication, status, index, answer = await self._request("get", [as_tuple(oid) for oid in wanted])
            if indication:
                raise self._explain(indication)
            if status:
                if int(status) == NO_SUCH_NAME and self.target.version == "1" and 0 < int(index) <= len(wanted):
                    del wanted[int(index) - 1]  # v1 fails the whole GET for one missing OID: drop it, ask again
                    continue
                raise Refused(f"device refused the request: {_status_text(status)}")
            return {as_dotted(tuple(name)): value for name, value in answer}
        return {}

    async def walk(self, columns: tuple[str, ...], into: Rows | None = None) -> Rows:
        """Walk several table columns side by side: values by column, then by row index.

        One GETBULK carries every unfinished column, so a device with no such tables costs a single
        round trip and a 60-row ENTITY table about eleven.
        """
        prefixes = {column: as_tuple(column) for column in columns}
        cursor = dict(prefixes)  # last OID seen per unfinished column
        rows = into if into is not None else {}  # filled as rows arrive: a stalled walk keeps what it read
        for column in columns:
            rows.setdefault(column, {})
        first = True
        while cursor:
            active = list(cursor)
            # The first round asks one row per column: most devices lack most tables, and finding that out
            # with 1 row instead of 3 each spares the agent (and a simulator on a shared CPU) two thirds.
            repetitions = 1 if first else max(1, self._max_varbinds // len(active))
            first = False
            indication, status, index, answer = await self._request(
                "next" if self.target.version == "1" else "bulk", [cursor[column] for column in active], repetitions)
            if indication:
                raise self._explain(indication)
            if status:
                if int(status) == NO_SUCH_NAME and 0 < int(index) <= len(active):
                    del cursor[active[int(index) - 1]]  # SNMPv1's way of saying "this column is finished"
                    continue
                if int(status) == TOO_BIG and self._max_varbinds > len(active):
                    self._max_varbinds //= 2  # an agent that refuses instead of truncating: ask for less
                    continue
                raise Refused(f"device refused the walk: {_status_text(status)}")
            if not answer:
                break
            done: set[str] = set()
            for position, (name, value) in enumerate(answer):
                column = active[position % len(active)]
                if column in done:
                    continue
                oid = tuple(name)
                prefix = prefixes[column]
                if (isinstance(value, univ.Null) and type(value).__name__ == "EndOfMibView") \
                        or oid[: len(prefix)] != prefix or oid <= cursor[column]:
                    done.add(column)  # left the column, end of MIB, or an agent going backwards
                    continue
                rows[column][oid[len(prefix):]] = value
                cursor[column] = oid
                if len(rows[column]) >= MAX_ROWS_PER_COLUMN:
                    done.add(column)
            for column in done:
                cursor.pop(column, None)
        return rows

    async def _request(self, kind: str, names: list[tuple[int, ...]], repetitions: int = 0):
        """One GET / GETNEXT / GETBULK through pysnmp's command generators, by numeric OID.

        The hlapi's get_cmd/bulk_cmd resolve every requested OID through the MIB view and re-run the
        target configuration on each call, about a fifth of the CPU of a sweep; we only ever send numeric
        OIDs, so the target is configured once (with the hlapi's own configurator) and OIDs go in raw.
        """
        transport = await self._transport_target()
        if self._target_name is None:
            self._target_name, _ = LCD.configure(self.engine, self._auth, transport, self._context.contextName)
        future = asyncio.get_running_loop().create_future()

        def answered(_engine, _handle, indication, status, index, varbinds, _context) -> None:
            if not future.done():
                future.set_result((indication, status, index, varbinds))

        request = [(name, NULL) for name in names]
        context = (self.engine, self._target_name, self._context.contextEngineId, self._context.contextName)
        try:
            if kind == "bulk":
                rfc3413.BulkCommandGenerator().send_varbinds(*context, 0, repetitions, request, answered)
            elif kind == "next":
                rfc3413.NextCommandGenerator().send_varbinds(*context, request, answered)
            else:
                rfc3413.GetCommandGenerator().send_varbinds(*context, request, answered)
            return await future
        except Exception as exc:  # pysnmp raises from deep inside the decoder on malformed answers
            raise Garbage(f"device answered garbage: {type(exc).__name__}: {exc}") from None

    def _explain(self, indication) -> AgentError:
        target = self.target
        if isinstance(indication, errind.RequestTimedOut):
            silence = f"no response within {target.timeout:g} s ({target.retries} retries)"
            junk = self.pool.undecodable.get(self._address or ("", 0), 0)
            if junk:
                sample = self.pool.first_garbage.get(self._address or ("", 0), b"").hex()
                return Garbage(f"device answered garbage: {junk} datagram(s) that are not SNMP "
                               f"(starting {sample}), {silence}")
            return NoResponse(silence)
        if isinstance(indication, (errind.WrongDigest, errind.AuthenticationFailure, errind.AuthenticationError)):
            return AuthenticationFailed("authentication failed (wrong v3 credentials)")
        if isinstance(indication, errind.UnknownUserName):
            return AuthenticationFailed(f"authentication failed (the device has no v3 user {target.user!r})")
        if isinstance(indication, errind.DecryptionError):
            return AuthenticationFailed("decryption failed (wrong v3 privacy key or protocol)")
        if isinstance(indication, errind.UnsupportedSecurityLevel):
            return AuthenticationFailed("the device does not accept this v3 security level (auth/priv)")
        if isinstance(indication, errind.NotInTimeWindow):
            return AuthenticationFailed("v3 message outside the device's time window (clock/boots mismatch)")
        return AgentError(f"SNMP error: {indication}")


def _status_text(status) -> str:
    try:
        return status.prettyPrint()
    except Exception:
        return str(status)
