"""SNMPv2c requests sent and read without pysnmp's engine: one UDP socket, hand-made BER, pysnmp as fallback.

v2c carries no security processing, so all pysnmp's engine adds to a community request is generality we
pay for on every datagram: a message built and read through pyasn1 (three quarters of a sweep's CPU),
caches keyed by message id, a timer tick. Here a request is encoded by itad.snmp.ber, the answer matched
by request id and community, and read by the same module; an answer outside the usual grammar is read
by pysnmp's own decoder instead. SNMPv1 and v3 keep going through pysnmp (itad.snmp.engine).
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass, field

from pyasn1.codec.ber import decoder
from pysnmp.proto import api, errind

from itad.snmp import ber

KINDS = {"get": ber.GET, "next": ber.GET_NEXT, "bulk": ber.GET_BULK}


@dataclass
class _Pending:
    future: asyncio.Future
    address: tuple[str, int]
    community: bytes
    datagram: bytes
    timeout: float
    retries_left: int
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class DirectV2c(asyncio.DatagramProtocol):
    """Outstanding v2c requests of a sweep, by request id, over one socket.

    `on_garbage(address, datagram)` is told of every datagram that is no SNMP message at all, since a
    device answering garbage must not look merely silent.
    """

    def __init__(self, sock: socket.socket, on_garbage) -> None:
        self._sock = sock
        self._on_garbage = on_garbage
        self._pending: dict[int, _Pending] = {}
        self._transport: asyncio.DatagramTransport | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, sock=self._sock)

    def connection_made(self, transport) -> None:
        self._transport = transport

    def request(self, address: tuple[str, int], community: str, kind: str, names: list[tuple[int, ...]],
                repetitions: int, non_repeaters: int, timeout: float, retries: int) -> asyncio.Future:
        """Send one request; resolves to (indication, error-status, error-index, varbinds) like engine.send."""
        request_id = random.randrange(1, 2**31 - 1)
        while request_id in self._pending:
            request_id = random.randrange(1, 2**31 - 1)
        secret = _octets(community)
        pending = _Pending(asyncio.get_running_loop().create_future(), address, secret,
                           ber.encode_request(secret, KINDS[kind], request_id, names, non_repeaters, repetitions),
                           timeout, retries)
        self._pending[request_id] = pending
        pending.future.add_done_callback(lambda _future: self._forget(request_id))
        self._transmit(request_id, pending)
        return pending.future

    def _transmit(self, request_id: int, pending: _Pending) -> None:
        if self._transport is None or self._transport.is_closing():
            pending.future.set_result((errind.requestTimedOut, 0, 0, ()))
            return
        self._transport.sendto(pending.datagram, pending.address)
        pending.timer = asyncio.get_running_loop().call_later(pending.timeout, self._expired, request_id)

    def _expired(self, request_id: int) -> None:
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done():
            return
        if pending.retries_left > 0:
            pending.retries_left -= 1
            self._transmit(request_id, pending)  # same request id: a late answer to the first try still counts
        else:
            pending.future.set_result((errind.requestTimedOut, 0, 0, ()))

    def _forget(self, request_id: int) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()

    def datagram_received(self, data: bytes, address) -> None:
        source = (str(address[0]), int(address[1]))
        try:
            community, request_id, status, index, varbinds = ber.decode_response(data)
        except ber.Unusual:
            read = _read_with_pysnmp(data)
            if read is None:
                self._on_garbage(source, data)
                return
            if read is False:
                return  # SNMP, but no response (a trap, a report): not for us
            community, request_id, status, index, varbinds = read
        pending = self._pending.get(request_id)
        # Matched by request id and community, not by source address, as pysnmp does: a device with several
        # interfaces may answer from another address than the one asked.
        if pending is None or pending.community != community:
            return  # a duplicate, a late answer to a finished request, or someone else's
        if not pending.future.done():
            pending.future.set_result((None, status, index, varbinds))

    def error_received(self, exc) -> None:
        pass  # ICMP port unreachable and the like: the request simply times out, as pysnmp reports it

    def close(self) -> None:
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_result((errind.requestTimedOut, 0, 0, ()))
        if self._transport is not None:
            self._transport.close()


def _octets(community: str) -> bytes:
    """The community as pysnmp sends it (latin-1, pyasn1's default), UTF-8 beyond what latin-1 can say."""
    try:
        return community.encode("latin-1")
    except UnicodeEncodeError:
        return community.encode("utf-8")


def _read_with_pysnmp(data: bytes):
    """The datagram read by pysnmp's full decoder: the fields of a response, False for another SNMP
    message, None when it is not SNMP v1/v2c at all."""
    try:
        module = api.PROTOCOL_MODULES[int(api.decodeMessageVersion(data))]
        message, _ = decoder.decode(data, asn1Spec=module.Message())
        pdu = module.apiMessage.get_pdu(message)
        if not pdu.isSameTypeWith(module.GetResponsePDU()):
            return False
        return (bytes(module.apiMessage.get_community(message)), int(module.apiPDU.get_request_id(pdu)),
                int(module.apiPDU.get_error_status(pdu)), int(module.apiPDU.get_error_index(pdu, muteErrors=True)),
                [(tuple(name), value) for name, value in module.apiPDU.get_varbinds(pdu)])
    except Exception:  # pysnmp's decoder raises many kinds of errors on malformed input
        return None
