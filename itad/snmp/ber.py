"""SNMPv2c messages encoded and read by hand: the requests a probe sends and the usual shape of an answer.

pyasn1's generic BER decoder builds and clones several Python objects per element and was three quarters
of a sweep's CPU. A v2c response is always the same small grammar (RFC 3416), so it is read here straight
from the bytes into plain values: bytes for OctetString, int for every integer type, Oid for an OID value,
pysnmp's own noSuchObject / noSuchInstance / endOfMibView singletons for the exceptions. Anything outside
that grammar (indefinite lengths, constructed strings, a tag SNMP does not define, a PDU that is no
Response) raises Unusual, and the caller hands the datagram to pysnmp's full decoder instead.
"""

from __future__ import annotations

from functools import lru_cache

from pysnmp.proto import rfc1902, rfc1905

VERSION_2C = 1
GET, GET_NEXT, RESPONSE, GET_BULK = 0xA0, 0xA1, 0xA2, 0xA5
_NULL = b"\x05\x00"


class Unusual(ValueError):
    """The datagram is not a plain v2c Response this reader knows; pysnmp's decoder should read it."""


class Oid(tuple):
    """An OBJECT IDENTIFIER value (as opposed to a varbind's name, which is a plain tuple)."""

    __slots__ = ()


# Application and context tags of SNMPv2-SMI / RFC 3416 (class bits included), read as plain values.
_UNSIGNED = {0x41, 0x42, 0x43, 0x46, 0x47}  # Counter32, Gauge32, TimeTicks, Counter64, UInteger32
_EXCEPTIONS = {0x80: rfc1905.noSuchObject, 0x81: rfc1905.noSuchInstance, 0x82: rfc1905.endOfMibView}


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


def _expect(data: bytes, at: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = element(data, at, end)
    if found != tag:
        raise Unusual(f"tag {found:#x} where {tag:#x} belongs")
    return start, stop


def _oid(contents: bytes) -> tuple[int, ...]:
    arcs, arc = [], 0
    for octet in contents:
        arc = (arc << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(arc)
            arc = 0
    if not arcs or contents[-1] & 0x80:
        raise Unusual("malformed OID")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def _value(tag: int, contents: bytes):
    if tag == 0x04 or tag == 0x44:  # OctetString, Opaque
        return bytes(contents)
    if tag == 0x02:
        return int.from_bytes(contents, "big", signed=True)
    if tag in _UNSIGNED:
        return int.from_bytes(contents, "big")
    if tag == 0x06:
        return Oid(_oid(contents))
    if tag in _EXCEPTIONS and not contents:
        return _EXCEPTIONS[tag]
    if tag == 0x40 and len(contents) == 4:
        return rfc1902.IpAddress(bytes(contents))  # rare; values.text renders it dotted
    if tag == 0x05 and not contents:
        return rfc1905.unSpecified
    raise Unusual(f"value tag {tag:#x}")


def decode_response(message: bytes) -> tuple[bytes, int, int, int, list[tuple[tuple[int, ...], object]]]:
    """(community, request-id, error-status, error-index, varbinds) of a v2c Response; raises Unusual."""
    try:
        start, end = _expect(message, 0, len(message), 0x30)
        start, at = _expect(message, start, end, 0x02)
        if int.from_bytes(message[start:at], "big", signed=True) != VERSION_2C:
            raise Unusual("not SNMPv2c")
        start, at = _expect(message, at, end, 0x04)
        community = bytes(message[start:at])
        at, end = _expect(message, at, end, RESPONSE)
        numbers = []
        for _ in range(3):  # request-id, error-status, error-index
            start, at = _expect(message, at, end, 0x02)
            numbers.append(int.from_bytes(message[start:at], "big", signed=True))
        at, end = _expect(message, at, end, 0x30)
        varbinds = []
        while at < end:
            start, at = _expect(message, at, end, 0x30)
            name_start, name_end = _expect(message, start, at, 0x06)
            tag, value_start, value_end = element(message, name_end, at)
            if value_end != at:
                raise Unusual("varbind with trailing data")
            varbinds.append((_oid(message[name_start:name_end]), _value(tag, message[value_start:value_end])))
    except IndexError:
        raise Unusual("truncated message") from None
    return community, numbers[0], numbers[1], numbers[2], varbinds


def tlv(tag: int, contents: bytes) -> bytes:
    size = len(contents)
    if size < 0x80:
        return bytes((tag, size)) + contents
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + contents


def encode_integer(number: int) -> bytes:
    return tlv(0x02, number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True))


@lru_cache(maxsize=4096)  # a sweep asks the same few dozen OIDs of every device
def encode_oid(oid: tuple[int, ...]) -> bytes:
    """An OBJECT IDENTIFIER element (tag, length, base-128 arcs)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise ValueError(f"not an OID: {oid}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(0x06, bytes(out))


def encode_request(community: bytes, kind: int, request_id: int, names: list[tuple[int, ...]],
                   non_repeaters: int = 0, repetitions: int = 0) -> bytes:
    """A v2c GET / GETNEXT / GETBULK of the given OIDs, each with a NULL value."""
    varbinds = b"".join(tlv(0x30, encode_oid(name) + _NULL) for name in names)
    pdu = encode_integer(request_id) + encode_integer(non_repeaters) + encode_integer(repetitions) + tlv(0x30, varbinds)
    return tlv(0x30, encode_integer(VERSION_2C) + tlv(0x04, community) + tlv(kind, pdu))
