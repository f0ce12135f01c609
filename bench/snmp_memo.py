"""A memoising UDP front for snmpsim: a repeated v2c request gets snmpsim's earlier answer, for its own request id.

Used by bench/snmp.py so that 200 simulated devices do not all answer on one shared snmpsim process's CPU
(real devices answer on their own). It listens on COUNT ports (listen port i stands for the device whose
snmpsim endpoint is upstream port i). A request is keyed by its community and its PDU minus the request id;
the first of a key goes to snmpsim over UDP and snmpsim's answer is sent to every device that asked the
same meanwhile; later identical requests get that answer with their own request id. Every answer is thus
produced by snmpsim from the recordings; only a repeat is not recomputed. Only v2c is handled (the bench
sends nothing else); anything else is dropped. On SIGTERM it prints as JSON how many requests it received
and how many of them it forwarded to snmpsim, and exits.

    python bench/snmp_memo.py --listen FIRST --upstream FIRST --count N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time


FORWARD_AGAIN_AFTER = 1.0  # seconds: snmpsim dropped the first copy (a full socket buffer), ask again


# The few BER primitives the front needs to find and replace a request id (X.690, definite lengths).


class Unusual(ValueError):
    """The datagram is not a plain v2c message this front knows; it is dropped."""


def _length(data: bytes, at: int) -> tuple[int, int]:
    """(length, offset of the contents) for the length octets at `at`; definite form only."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise Unusual("indefinite or oversized length")
    return int.from_bytes(data[at + 1: at + 1 + count], "big"), at + 1 + count


def element(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at `at`, which must end by `end`."""
    if at + 2 > end:
        raise Unusual("truncated element")
    length, start = _length(data, at + 1)
    if start + length > end:
        raise Unusual("element longer than its container")
    return data[at], start, start + length


def tlv(tag: int, contents: bytes) -> bytes:
    size = len(contents)
    if size < 0x80:
        return bytes((tag, size)) + contents
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + contents


def encode_integer(number: int) -> bytes:
    return tlv(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True))


def split(message: bytes) -> tuple[bytes, int, int, bytes]:
    """(version + community octets, PDU tag, request id, the PDU after its request id) of a v2c message."""
    tag, start, end = element(message, 0, len(message))
    version_tag, version_start, version_end = element(message, start, end)
    if tag != 0x30 or version_tag != 0x02 or message[version_start:version_end] != b"\x01":
        raise Unusual("not SNMPv2c")
    _, _, community_end = element(message, version_end, end)
    pdu_tag, pdu_start, pdu_end = element(message, community_end, end)
    _, id_start, id_end = element(message, pdu_start, pdu_end)
    return (message[start:community_end], pdu_tag, int.from_bytes(message[id_start:id_end], "big", signed=True),
            message[id_end:pdu_end])


def join(head: bytes, tag: int, request_id: int, rest: bytes) -> bytes:
    return tlv(0x30, head + tlv(tag, encode_integer(request_id) + rest))


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, memo: Memo, port: int) -> None:
        self.memo, self.port, self.transport = memo, port, None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, peer) -> None:
        self.memo.request(self, data, peer)


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, memo: Memo) -> None:
        self.memo, self.transport = memo, None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, peer) -> None:
        self.memo.answer(data, peer[1])


class Memo:
    def __init__(self, upstream_of: dict[int, int]) -> None:
        self.upstream_of = upstream_of  # listen port -> snmpsim port
        self.answers: dict[tuple, tuple[bytes, int, bytes]] = {}
        self.waiting: dict[tuple, list[tuple[_Endpoint, object, int]]] = {}
        self.forwarded: dict[tuple, float] = {}
        self.asked: dict[tuple[int, int], tuple] = {}  # (snmpsim port, request id) -> key
        self.upstream = _Upstream(self)
        self.received = self.forwarded_count = 0

    def request(self, endpoint: _Endpoint, data: bytes, peer) -> None:
        try:
            head, tag, request_id, rest = split(data)
        except (Unusual, IndexError):
            return
        key = (head, tag, rest)
        self.received += 1
        if key in self.answers:
            head, tag, rest = self.answers[key]
            endpoint.transport.sendto(join(head, tag, request_id, rest), peer)
            return
        self.waiting.setdefault(key, []).append((endpoint, peer, request_id))
        if time.monotonic() - self.forwarded.get(key, -FORWARD_AGAIN_AFTER) >= FORWARD_AGAIN_AFTER:
            self.forwarded_count += 1
            self.forwarded[key] = time.monotonic()
            upstream_port = self.upstream_of[endpoint.port]
            self.asked[(upstream_port, request_id)] = key
            self.upstream.transport.sendto(data, ("127.0.0.1", upstream_port))

    def answer(self, data: bytes, upstream_port: int) -> None:
        try:
            head, tag, request_id, rest = split(data)
        except (Unusual, IndexError):
            return
        key = self.asked.pop((upstream_port, request_id), None)
        if key is None:
            return
        self.answers[key] = (head, tag, rest)
        for endpoint, peer, waiting_id in self.waiting.pop(key, []):
            endpoint.transport.sendto(join(head, tag, waiting_id, rest), peer)


async def serve(listen: int, upstream: int, count: int) -> None:
    loop = asyncio.get_running_loop()
    memo = Memo({listen + i: upstream + i for i in range(count)})
    await loop.create_datagram_endpoint(lambda: memo.upstream, local_addr=("127.0.0.1", 0))
    for port in range(listen, listen + count):
        await loop.create_datagram_endpoint(lambda port=port: _Endpoint(memo, port), local_addr=("127.0.0.1", port))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    print(json.dumps({"received": memo.received, "forwarded": memo.forwarded_count}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.listen, args.upstream, max(1, min(args.count, 1000))))


if __name__ == "__main__":
    main()
