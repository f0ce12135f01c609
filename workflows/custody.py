"""The custody log's hash chain: each event's hash covers its payload and the previous event's hash.

An edit after the fact changes that event's hash; deleting or reordering events breaks the link the
next event holds. Both are found by `verify_chain`, which names the first event that does not fit.
Removing the *last* events leaves a valid shorter chain: pass `expected_head` (the hash stored with
the batch or printed on a certificate) to catch that too.

The payload is serialised canonically so the same facts always hash the same, whichever database
returned them: sorted keys, no spaces, UTF-8 text kept as is, datetimes in UTC ISO 8601 with
microseconds (naive datetimes are taken to be UTC, as SQLite returns them).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable
from uuid import UUID

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    raise TypeError(f"{type(value).__name__} cannot go into a custody event")


# One encoder for every event: json.dumps with options builds a new encoder per call. It keeps no state
# between calls, so threads share it.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                              default=_plain)


def canonical_json(payload: dict[str, Any]) -> str:
    return _CANONICAL.encode(payload)


@functools.lru_cache(maxsize=256, typed=True)
def _utc_text(moment: datetime) -> str:
    return _plain(moment)


def canonical_time(moment: Any) -> Any:
    """A datetime as the canonical JSON writes it (the same text `_plain` gives), remembered: the events
    of one request share their timestamp, and writing it out is a good part of hashing an event.
    Equal datetimes give equal text (aware ones are written in UTC; naive ones never equal aware ones)."""
    return _utc_text(moment) if isinstance(moment, datetime) else moment


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 hex of prev_hash + "\\n" + canonical payload."""
    data = prev_hash + "\n" + canonical_json(payload)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def event_payload(*, batch_id: Any, seq: int, device_id: Any, action: str, from_state: str | None,
                  to_state: str | None, actor_id: Any, actor_label: str, evidence: dict | None,
                  created_at: datetime) -> dict[str, Any]:
    """The fields of a CustodyEvent row that the hash covers: writer and verifier both build the
    payload here, so they cannot drift apart. created_at is held as its canonical text already."""
    return {"batch_id": batch_id, "seq": seq, "device_id": device_id, "action": action,
            "from_state": from_state, "to_state": to_state, "actor_id": actor_id,
            "actor_label": actor_label, "evidence": evidence or {}, "created_at": canonical_time(created_at)}


@dataclass(frozen=True)
class ChainLink:
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def append(chain_head: str, payload: dict[str, Any]) -> ChainLink:
    """The next link after `chain_head` (GENESIS for the first event)."""
    return ChainLink(payload, chain_head, event_hash(chain_head, payload))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    first_bad_index: int | None = None   # 0-based position in the sequence given
    first_bad_seq: Any = None            # the payload's "seq", when it has one
    reason: str = ""


def verify_chain(events: Iterable[Any], expected_head: str | None = None) -> ChainReport:
    """Check links given in order: (payload, prev_hash, hash) tuples or objects with those fields."""
    expected_prev = GENESIS
    prev_seq = None
    index = -1
    for index, event in enumerate(events):
        if isinstance(event, (tuple, list)):
            payload, prev_hash, stored = event
        else:
            payload, prev_hash, stored = event.payload, event.prev_hash, event.hash
        seq = payload.get("seq") if isinstance(payload, dict) else None

        def bad(reason: str) -> ChainReport:
            return ChainReport(False, index + 1, index, seq, reason)

        if prev_hash != expected_prev:
            what = "the first event does not start from the genesis hash" if index == 0 else \
                "its prev_hash does not match the event before it: an event was deleted, inserted or reordered"
            return bad(f"event {index} (seq {seq}): {what}")
        try:
            actual = event_hash(prev_hash, payload)
        except (TypeError, ValueError) as exc:
            return bad(f"event {index} (seq {seq}): payload cannot be serialised: {exc}")
        if actual != stored:
            return bad(f"event {index} (seq {seq}): its content was altered after it was recorded")
        if seq is not None and prev_seq is not None and seq != prev_seq + 1:
            return bad(f"event {index} (seq {seq}): follows seq {prev_seq}; events are missing or out of order")
        prev_seq = seq
        expected_prev = stored
    count = index + 1
    if expected_head is not None and expected_prev != expected_head:
        return ChainReport(False, count, count, None,
                           f"the chain ends at {expected_prev[:12]}… but {expected_head[:12]}… was expected: "
                           "events after the last one were removed (or added)")
    return ChainReport(True, count)
