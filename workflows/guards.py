"""The guards of the transition table: each answers "may this happen now?" with None or a Refusal
that says why not and which actions would help. They read a Context, never change anything.

Guards that judge input (a grade, a manifest line) pass while `probing` (allowed_transitions), since
the input is not there yet; apply() judges them for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Hashable

from workflows.mobile import LOCK_NAMES
from workflows.policy import Policy
from workflows.sanitization import DESTROY_TECHNIQUES, Method, normalise_technique, wipe_techniques_for
from workflows.states import MediumState as M

if TYPE_CHECKING:
    from workflows.machine import DeviceFacts, MediumFacts

@dataclass(frozen=True)
class Refusal:
    reason: str
    needs: tuple[str, ...] = ()


@dataclass
class Context:
    device: DeviceFacts
    actor: Hashable
    policy: Policy
    facts: dict[str, Any]
    probing: bool                       # allowed_transitions: no input facts to check yet
    medium: MediumFacts | None = None


Guard = Callable[[Context], "Refusal | None"]

# Read once: guards run on every step (thousands per bulk request) and an enum's `.value` is a descriptor call.
_PENDING, _SANITIZED, _FAILED, _VERIFIED = M.pending.value, M.sanitized.value, M.failed.value, M.verified.value
_AWAITING_WIPE = frozenset({_PENDING, _FAILED})
_WIPED = frozenset({_SANITIZED, _VERIFIED})


def requires_verification(m: MediumFacts, policy: Policy) -> bool:
    return policy.verification == "all" or m.verification_required


def _name(m: MediumFacts) -> str:
    return f"medium {m.id}"


def carries_data(ctx: Context) -> Refusal | None:
    if not ctx.device.carries_data:
        return Refusal("its category carries no data, so there is nothing to sanitize; grade it instead", ("grade",))
    if not ctx.device.media:
        return Refusal("no storage media are recorded for it; record its media (or confirm none are present)")
    return None


def carries_no_data(ctx: Context) -> Refusal | None:
    d = ctx.device
    if not d.carries_data or (not d.media and d.no_media_confirmed):
        return None
    return Refusal("it carries data: every data-bearing medium must be sanitized and verified before grade",
                   ("sanitize", "verify"))


def medium_awaits_wipe(ctx: Context) -> Refusal | None:
    m = ctx.medium
    if m.state not in _AWAITING_WIPE:
        return Refusal(f"{_name(m)} is already {m.state}; only a pending or failed medium can be wiped")
    return None


def within_failed_wipe_limit(ctx: Context) -> Refusal | None:
    m = ctx.medium
    if m.failed_wipes < ctx.policy.max_failed_wipes:
        return None
    if not ctx.probing and normalise_technique(ctx.facts.get("technique", "")) in DESTROY_TECHNIQUES:
        return None     # shredding the drive is always an answer
    return Refusal(f"{_name(m)} failed {m.failed_wipes} wipes (policy allows {ctx.policy.max_failed_wipes}); "
                   "destroy the device, or record a Destroy technique for this medium", ("destroy",))


def medium_awaits_verification(ctx: Context) -> Refusal | None:
    m = ctx.medium
    if m.state != _SANITIZED:
        return Refusal(f"{_name(m)} is {m.state}; only a sanitized medium can be verified", ("sanitize",))
    return None


def verifier_is_not_wiper(ctx: Context) -> Refusal | None:
    m = ctx.medium
    if ctx.actor == m.sanitized_by:
        return Refusal(f"{_name(m)} was wiped by {ctx.actor}; verification must be done by someone else (four-eyes)")
    return None


def sampling_left_nothing_to_verify(ctx: Context) -> Refusal | None:
    waiting = [m for m in ctx.device.media
               if requires_verification(m, ctx.policy) and m.state != _VERIFIED]
    if waiting:
        return Refusal("verification is required for " + ", ".join(_name(m) for m in waiting), ("verify",))
    return None


def grade_given(ctx: Context) -> Refusal | None:
    if ctx.probing or str(ctx.facts.get("grade") or "").strip():
        return None
    return Refusal("a grade is required to grade the device")


def resale_allowed(ctx: Context) -> Refusal | None:
    if ctx.policy.resale_allowed or not ctx.device.carries_data:
        return None
    return Refusal("the client's policy forbids resale of data-bearing devices; it must be destroyed", ("destroy",))


def locks_released(ctx: Context) -> Refusal | None:
    """A phone or tablet leaves for resale only with every lock recorded clear (workflows.mobile)."""
    if not ctx.device.open_locks:
        return None
    names = ", ".join(LOCK_NAMES[k] for k in ctx.device.open_locks)
    return Refusal(f"a phone or tablet is resold only when every lock is recorded clear; not yet: {names}. "
                   "Record the checks; a locked unit waits for its client to release it, or is destroyed",
                   ("record_locks", "destroy"))


def media_sanitized_and_verified(ctx: Context) -> Refusal | None:
    """Belt and braces at the exit door: re-check every medium, whatever path led here."""
    if not ctx.device.carries_data:
        return None
    if not ctx.device.media and not ctx.device.no_media_confirmed:
        return Refusal("no storage media are recorded and none was confirmed absent")
    floor = ctx.policy.minimum_method
    for m in ctx.device.media:
        if m.state not in _WIPED or m.sanitized_by is None:
            return Refusal(f"{_name(m)} is {m.state}; every medium must be sanitized before clear", ("sanitize",))
        if requires_verification(m, ctx.policy) and (m.state != _VERIFIED or m.verified_by is None
                                                     or m.verified_by == m.sanitized_by):
            return Refusal(f"{_name(m)} must be verified by someone other than its wiper before clear", ("verify",))
        if m.method is None or not Method(m.method).at_least(floor):
            return Refusal(f"{_name(m)} was sanitized by {m.method or 'no method'}, below the policy minimum "
                           f"{floor.value}; wipe it again or destroy the device", ("destroy",))
    return None


def batch_closing(ctx: Context) -> Refusal | None:
    if ctx.facts.get("batch_closing"):
        return None
    return Refusal("a device is marked missing only when its batch is closed", ("receive",))


def manifest_line_given(ctx: Context) -> Refusal | None:
    if ctx.probing or ctx.facts.get("manifest_device_id") is not None:
        return None
    return Refusal("name the manifest line (manifest_device_id) this unit belongs to, or accept it as extra")


def destruction_technique_known(ctx: Context) -> Refusal | None:
    tech = ctx.facts.get("technique")
    if ctx.probing or tech is None or normalise_technique(tech) in DESTROY_TECHNIQUES:
        return None
    return Refusal(f"{tech!r} is not a destruction technique (use one of {', '.join(sorted(DESTROY_TECHNIQUES))})")


def sale_price_given(ctx: Context) -> Refusal | None:
    """A sale is recorded with its price: a unit never leaves stock for an unknown amount."""
    if ctx.probing or str(ctx.facts.get("price") or "").strip():
        return None
    return Refusal("a sale needs its price")


def return_reason_given(ctx: Context) -> Refusal | None:
    """A return is recorded with why the buyer sent it back: the quality report counts the reasons."""
    if ctx.probing or str(ctx.facts.get("reason") or "").strip():
        return None
    return Refusal("say why the buyer returned the unit")


def buyer_data_erased(ctx: Context) -> Refusal | None:
    """A unit back from its buyer may hold the buyer's data (accounts, photos, messages): it is erased before it is
    graded for resale again, with a technique that works on each of its drives (fact `buyer_data_erased`). The
    client's data was dealt with once and its certificate stands; this erasure is recorded in the re-grade's
    custody event, not as a sanitization of the client's media."""
    if ctx.probing or not ctx.device.carries_data:
        return None
    given = str(ctx.facts.get("buyer_data_erased") or "").strip()
    tech = normalise_technique(given) if given else ""
    usable = wipe_techniques_for(m.media_type for m in ctx.device.media)
    if tech in usable:
        return None
    said = f"{given!r} does not erase this unit's drives" if given else "it may hold the buyer's data"
    return Refusal(f"a unit back from its buyer is erased again before it is re-graded: {said} "
                   f"(say how it was erased: {', '.join(usable)})")


def within_warranty(ctx: Context) -> Refusal | None:
    """A unit comes back only while its warranty runs: facts `returned_on` and `warranty_until` (ISO dates; an
    ISO date compares as text in date order). A sale recorded without a warranty has none to claim."""
    if ctx.probing:
        return None
    until, back = ctx.facts.get("warranty_until"), str(ctx.facts.get("returned_on") or "")
    if not back:
        return Refusal("a return needs the day the unit came back")
    if not until:
        return Refusal("the sale was recorded without a warranty, so there is none to return it under")
    if back > str(until):
        return Refusal(f"its warranty ended on {until}; it came back on {back}")
    return None


def withdrawal_reason_given(ctx: Context) -> Refusal | None:
    """Stock is never withdrawn silently: the reason is what a refused sale later shows."""
    if ctx.probing or str(ctx.facts.get("reason") or "").strip():
        return None
    return Refusal("say why the unit leaves stock (e.g. certificate revoked, sanitization reopened)")
