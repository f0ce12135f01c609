"""Which media a second person must verify, when the client's policy samples instead of checking all.

The rule (policy.verification == "sample"):
  1. every medium sanitized by Clear is verified (when policy.verify_all_cleared, the default);
  2. a Purged or Destroyed medium is verified when its draw is below sample_percent / 100, where its
     draw is SHA-256("<batch_id>:<medium_id>") read as a number in [0, 1);
  3. at least one medium per batch: if rules 1-2 pick none, the medium with the lowest draw is picked.
  policy.verification == "all": every medium.

Why a hash draw: anyone can recompute it from the batch and medium ids (auditable, reproducible, no
stored random seed), nobody can steer it without changing ids, and each medium's draw ignores the
others, so recording more media later never adds a verification to a medium already decided
(the at-least-one pick may only move onto a newly added medium). The share verified is N% in
expectation, not exactly N% of every batch.

A medium whose method is not known yet (not sanitized) is treated as Clear: required, the safe side.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

from workflows.policy import Policy

_SCALE = float(1 << 64)


def draw(batch_id: Any, medium_id: Any) -> float:
    """The medium's reproducible lottery number in [0, 1)."""
    digest = hashlib.sha256(f"{batch_id}:{medium_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def picked_by_rule(policy: Policy, batch_id: Any, medium_id: Any, method: str | None) -> bool:
    """Rules 1-2 (and "verify all") for one wipe, as decided at the bench when it is recorded.
    Rule 3 (at least one per batch) depends on the batch's other wipes: the caller adds it."""
    if policy.verification == "all":
        return True
    if (method or "clear").lower() == "clear" and policy.verify_all_cleared:
        return True
    return draw(batch_id, medium_id) < policy.sample_percent / 100


@dataclass(frozen=True)
class SamplingPlan:
    required: frozenset[Any]
    reasons: dict[Any, str]           # medium id -> why it is (or is not) verified

    def needs_verification(self, medium_id: Any) -> bool:
        return medium_id in self.required


def plan_verification(batch_id: Any, media: Iterable[tuple[Any, str | None]], policy: Policy) -> SamplingPlan:
    """media: (medium_id, effective method or None) for every medium of the batch."""
    media = list(media)
    if policy.verification == "all":
        return SamplingPlan(frozenset(m for m, _ in media), {m: "policy verifies every medium" for m, _ in media})

    threshold = policy.sample_percent / 100
    required: set[Any] = set()
    reasons: dict[Any, str] = {}
    for medium_id, method in media:
        method = (method or "clear").lower()
        if method == "clear" and policy.verify_all_cleared:
            required.add(medium_id)
            reasons[medium_id] = "every Cleared medium is verified"
            continue
        d = draw(batch_id, medium_id)
        if d < threshold:
            required.add(medium_id)
            reasons[medium_id] = f"drawn for the {policy.sample_percent}% sample (draw {d:.4f})"
        else:
            reasons[medium_id] = f"not drawn for the {policy.sample_percent}% sample (draw {d:.4f})"
    if media and not required:
        anchor = min((m for m, _ in media), key=lambda m: draw(batch_id, m))
        required.add(anchor)
        reasons[anchor] = "lowest draw of the batch: at least one medium per batch is verified"
    return SamplingPlan(frozenset(required), reasons)
