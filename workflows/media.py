"""A drive's facts as people and tools write them: its type ("SSD", "Solid State Device", "7200 rpm") and its
capacity ("512GB", "1 TB", "500107862016", "931.5 GiB").

Drive makers count in powers of ten (a "1 TB" drive holds 10^12 bytes), and so do asset lists and the tools
here; "GiB"/"TiB" are read as powers of two. A value that says nothing certain gives None, never a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1,
          "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "p": 10**15, "pb": 10**15,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([kmgtp]?i?b?|bytes?)\s*$", re.IGNORECASE)
# A bare number below this is not a byte count (nobody lists a 999 kB drive): "512" alone is ambiguous.
_SMALLEST_BYTES = 10**8


def capacity_bytes(value: object, *, unit: str | None = None) -> int | None:
    """Bytes in `value`. `unit` ("GB", "TB"...) applies to a bare number, as a "Capacity (GB)" column says."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value).strip().replace("\u00a0", " ")
    m = _SIZE.match(text.replace(",", "") if re.fullmatch(r"[\d,]+", text.strip()) else text)
    if not m:
        return None
    number, suffix = m.group(1).replace(",", "."), m.group(2).lower()
    if suffix in ("", "b") and unit:
        suffix = unit.strip().lower()
    if suffix not in _UNITS:
        return None
    try:
        amount = Decimal(number) * _UNITS[suffix]
    except InvalidOperation:
        return None
    if amount <= 0 or (suffix in ("", "b", "byte", "bytes") and amount < _SMALLEST_BYTES):
        return None
    return int(amount)


_TYPES = (
    (re.compile(r"nvme|nvm express|pcie ssd|m\.2 nvme", re.I), "nvme"),
    (re.compile(r"\bssd\b|solid[ -]?state|\bflash\b drive|\bsolid\b", re.I), "ssd"),
    (re.compile(r"emmc|\bsd card\b|usb (stick|flash)|\bflash\b", re.I), "flash"),
    (re.compile(r"\bhdd\b|hard ?(disk|drive)|rotational|spinning|\b\d{4,5} ?rpm\b|^\d{4,5}$|magnetic", re.I), "hdd"),
)


def media_type(value: object) -> str | None:
    """hdd / ssd / nvme / flash from what a list or a tool calls the drive; None when it does not say."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    for pattern, kind in _TYPES:
        if pattern.search(text):
            return kind
    return None


# A label's size is rounded: a "1 TB" drive holds 1,000,204,886,016 bytes, a "500 GB" one 500,107,862,016, and an
# asset list says 1000 (GB) where a tool counts the sectors. Sizes this close name the same drive.
SAME_SIZE_TOLERANCE = 0.01


def same_capacity(a: int, b: int) -> bool:
    """Whether two capacities in bytes are the same drive's, one as labelled and one as counted."""
    return abs(a - b) <= SAME_SIZE_TOLERANCE * max(a, b)
