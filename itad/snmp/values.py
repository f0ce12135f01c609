"""Turn whatever an agent sent back into plain Python values, without ever raising.

Devices are sloppy: serials padded with spaces or NULs, strings in latin-1, a column that should be an
Integer arriving as an OctetString, noSuchObject where a value was expected. Everything here returns None
rather than raise, because one odd varbind must not cost us the rest of a device's identity.

Values come as pyasn1 objects, as pysnmp read them; plain bytes and ints read the same.
"""

from __future__ import annotations

from pyasn1.type import univ


_PAD = " \t\r\n\x00"


def decode_bytes(raw: bytes) -> str:
    """UTF-8 when it is valid UTF-8 (e.g. Chinese sysLocation), else latin-1, which never fails."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").strip(_PAD)


def text(value: object) -> str | None:
    """A display string, or None for absent/empty values (noSuchObject, endOfMibView, '')."""
    if value is None or isinstance(value, univ.Null):  # noSuch*/endOfMibView are Null subtypes
        return None
    try:
        if isinstance(value, univ.OctetString):
            if _is_ip_address(value):
                return ".".join(str(octet) for octet in value.asOctets())
            result = decode_bytes(value.asOctets())
        elif isinstance(value, univ.ObjectIdentifier):
            result = ".".join(str(part) for part in value)
        elif isinstance(value, univ.Integer):
            result = str(int(value))
        elif isinstance(value, bytes):
            result = decode_bytes(value)
        elif hasattr(value, "prettyPrint"):
            result = str(value.prettyPrint()).strip(_PAD)
        else:
            result = str(value).strip(_PAD)
    except Exception:  # a half-decoded pyasn1 object can raise on any access
        return None
    return result or None


def integer(value: object) -> int | None:
    """An int from an Integer-like value, or from an OctetString of digits (some agents do that)."""
    if value is None or isinstance(value, univ.Null):
        return None
    try:
        if isinstance(value, univ.Integer):
            return int(value)
        if isinstance(value, (univ.OctetString, bytes)):
            digits = decode_bytes(value.asOctets() if isinstance(value, univ.OctetString) else value)
            return int(digits) if digits.lstrip("-").isdigit() else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    except Exception:
        return None
    return None


def oid(value: object) -> tuple[int, ...] | None:
    """An OID value as a tuple, or None when the agent put anything else there."""
    if isinstance(value, univ.ObjectIdentifier):
        try:
            return tuple(int(part) for part in value)
        except Exception:
            return None
    return None


def _is_ip_address(value: univ.OctetString) -> bool:
    # IpAddress is an OctetString subtype; its class name is the cheapest reliable test.
    return type(value).__name__ == "IpAddress"
