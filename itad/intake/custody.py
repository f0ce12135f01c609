"""The custody hash chain, as the intake service needs it for a batch's first event.

TEMPORARY MIRROR of ``workflows.custody`` (event_hash / event_payload / GENESIS), which is being
written on the ``workflows`` branch and was not merged when intake was built. Same algorithm
(SHA-256 over prev_hash + "\\n" + canonical JSON of the payload; sorted keys, no spaces, UTF-8,
datetimes in UTC ISO 8601 with microseconds), so the chain verifier there accepts these events.
When ``workflows`` lands, delete this module and import from ``workflows.custody``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a custody event")


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_plain)


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_json(payload)).encode("utf-8")).hexdigest()


def event_payload(*, batch_id: Any, seq: int, device_id: Any, action: str, from_state: str | None,
                  to_state: str | None, actor_id: Any, actor_label: str, evidence: dict | None,
                  created_at: datetime) -> dict[str, Any]:
    return {"batch_id": batch_id, "seq": seq, "device_id": device_id, "action": action,
            "from_state": from_state, "to_state": to_state, "actor_id": actor_id,
            "actor_label": actor_label, "evidence": evidence or {}, "created_at": created_at}
