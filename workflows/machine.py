"""The device workflow as data: a table of transitions, one function that applies them.

Read TRANSITIONS top to bottom: it is the bench process. A row names the action, the device states it
may start from, the state it leads to, and the guards that must all pass. Rows that act on one
storage medium (`sanitize`, `verify`) carry a MediumStep: the medium moves at once, and the device
follows only when every medium has got there (a laptop with two drives is `sanitized` after the
second drive passes). A failed wipe or verification sends the medium back to `failed` and the device
back to `received`, where it waits to be wiped again or destroyed.

`apply` is the only way a state changes. It never mutates its input; it returns an Outcome holding the
new device view, the changed media and the evidence for the custody event. Anything it will not do
raises TransitionRefused, which says what state the device is in and what must happen first.

The table stays the one source; it is indexed once at import (by action, and by action and state) so
applying a step looks its rows up instead of reading the table, since the bulk path applies
thousands of results per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Hashable, Iterable

from workflows.guards import (
    Context, Guard, Refusal, batch_closing, buyer_data_erased, carries_data, carries_no_data,
    destruction_technique_known, grade_given, locks_released, manifest_line_given, media_sanitized_and_verified,
    medium_awaits_verification, medium_awaits_wipe, requires_verification, resale_allowed, return_reason_given,
    sale_price_given, sampling_left_nothing_to_verify, verifier_is_not_wiper, withdrawal_reason_given,
    within_failed_wipe_limit, within_warranty,
)
from workflows.policy import Policy
from workflows.sanitization import Assessment, Method, assess, normalise_technique
from workflows.states import DeviceState as D
from workflows.states import MediumState as M


# ---------------------------------------------------------------- the view the machine works on

@dataclass(frozen=True)
class MediumFacts:
    """What the machine needs to know about one storage medium.

    method: effective NIST method of the last accepted wipe (set by `sanitize`).
    verification_required: from workflows.sampling; ignored (always True) when the policy says "all".
    """

    id: Any
    media_type: str = "unknown"
    state: str = M.pending.value
    method: str | None = None
    technique: str | None = None
    result: str | None = None
    sanitized_by: Hashable | None = None
    verified_by: Hashable | None = None
    failed_wipes: int = 0
    verification_required: bool = True

    def wiped(self, state: str, method: str, technique: str, result: str, sanitized_by: Hashable,
              failed_wipes: int) -> "MediumFacts":
        """After a wipe (the last one counts: an earlier verification no longer stands). Built
        directly rather than with dataclasses.replace, which inspects the fields on every call."""
        return MediumFacts(self.id, self.media_type, state, method, technique, result, sanitized_by, None,
                           failed_wipes, self.verification_required)

    def checked(self, state: str, verified_by: Hashable, failed_wipes: int) -> "MediumFacts":
        """After a verification by `verified_by`."""
        return MediumFacts(self.id, self.media_type, state, self.method, self.technique, self.result,
                           self.sanitized_by, verified_by, failed_wipes, self.verification_required)


@dataclass(frozen=True)
class DeviceFacts:
    """A plain snapshot of a device: the service builds it from the database, the machine reads it.

    data_bearing: from the device's category (Policy.is_data_bearing). A device with media recorded
    is treated as data-bearing whatever its category says.
    no_media_confirmed: a data-bearing unit that arrived without any drive (the bench confirmed it),
    so it may be graded without sanitization.
    open_locks: a phone's or tablet's lock kinds not recorded clear (workflows.mobile.open_locks).
    """

    state: str
    data_bearing: bool = True
    media: tuple[MediumFacts, ...] = ()
    id: Any = None
    no_media_confirmed: bool = False
    grade: str | None = None
    open_locks: tuple[str, ...] = ()

    @property
    def carries_data(self) -> bool:
        return self.data_bearing or bool(self.media)

    def moved(self, state: str, media: tuple[MediumFacts, ...], grade: str | None) -> "DeviceFacts":
        """The device after a step (see MediumFacts.wiped on why not dataclasses.replace)."""
        return DeviceFacts(state, self.data_bearing, media, self.id, self.no_media_confirmed, grade, self.open_locks)

    def medium(self, medium_id: Any) -> MediumFacts | None:
        for m in self.media:
            if m.id == medium_id:
                return m
        return None


class TransitionRefused(Exception):
    """An action the workflow will not take now. Maps to HTTP 409 with code "transition_refused".

    needs: actions that would have to happen first (possibly empty), for buttons and hints.
    """

    code = "transition_refused"

    def __init__(self, action: str, state: str, reason: str, needs: tuple[str, ...] = ()):
        self.action, self.state, self.reason, self.needs = action, state, reason, tuple(needs)
        super().__init__(f"Device is {state}; {reason}")

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self), "action": self.action,
                "state": self.state, "reason": self.reason, "needs": list(self.needs)}


@dataclass(frozen=True)
class Outcome:
    """What applying an action did. `changed_media` holds the media after the change."""

    action: str
    from_state: str
    to_state: str
    device: DeviceFacts
    changed_media: tuple[MediumFacts, ...] = ()
    assessment: Assessment | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the table

@dataclass(frozen=True)
class MediumStep:
    """A transition that acts on one medium (facts: medium_id); the device follows when all have."""

    from_states: frozenset[str]
    passed: str
    failed: str


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    guards: tuple[Guard, ...] = ()
    prerequisite: str = ""              # said when the device is in none of `sources`
    medium_step: MediumStep | None = None
    on_failure: str | None = None       # device state after a failed medium step
    hinted: bool = True                 # named among what a refused step needs first


def T(name, sources, target, guards=(), prerequisite="", medium_step=None, on_failure=None,
      hinted=True) -> Transition:
    return Transition(name, frozenset(s.value for s in sources), target.value, tuple(guards),
                      prerequisite, medium_step, on_failure.value if on_failure else None, hinted)


WIPE = MediumStep(frozenset({M.pending.value, M.failed.value}), M.sanitized.value, M.failed.value)
CHECK = MediumStep(frozenset({M.sanitized.value}), M.verified.value, M.failed.value)
IN_HAND = (D.received, D.sanitized, D.verified, D.graded)

TRANSITIONS: tuple[Transition, ...] = (
    T("receive", [D.registered], D.received,
      prerequisite="only a registered device can be received"),
    # Reconciling a unit found without a manifest line: keep it as an extra device...
    T("accept", [D.unexpected], D.received,
      prerequisite="only an unexpected device can be accepted"),
    # ...or close this record because it is a manifest line (the service receives that line).
    T("match", [D.unexpected], D.matched, [manifest_line_given],
      prerequisite="only an unexpected device can be matched to a manifest line"),
    T("mark_missing", [D.registered], D.missing, [batch_closing],
      prerequisite="only a device never received can be marked missing"),
    T("sanitize", [D.received], D.sanitized,
      [carries_data, medium_awaits_wipe, within_failed_wipe_limit],
      prerequisite="sanitization is recorded on a received device", medium_step=WIPE, on_failure=D.received),
    T("verify", [D.sanitized], D.verified, [medium_awaits_verification, verifier_is_not_wiper],
      prerequisite="every data-bearing medium must be sanitized before verify",
      medium_step=CHECK, on_failure=D.received),
    # Sampling left none of this device's media to verify: the step is recorded, not skipped silently.
    T("skip_verification", [D.sanitized], D.verified, [sampling_left_nothing_to_verify],
      prerequisite="every data-bearing medium must be sanitized first"),
    T("grade", [D.verified], D.graded, [grade_given],
      prerequisite="every data-bearing medium must be sanitized and verified before grade"),
    # Monitors, keyboards, docks (and drive-less units confirmed at the bench) go straight to grading.
    T("grade", [D.received], D.graded, [carries_no_data, grade_given],
      prerequisite="every data-bearing medium must be sanitized and verified before grade"),
    T("clear", [D.graded], D.cleared, [resale_allowed, media_sanitized_and_verified, locks_released],
      prerequisite="the device must be graded before clear"),
    T("destroy", IN_HAND + (D.quarantined, D.returned), D.destroyed, [destruction_technique_known],
      prerequisite="only a device in our hands (received, not yet cleared, quarantined or returned) can be destroyed"),
    # Resale. Listing re-checks the exit door (policy and media) because stock is where a unit leaves us.
    T("list", [D.cleared], D.in_inventory, [resale_allowed, media_sanitized_and_verified, locks_released],
      prerequisite="only a cleared device can be listed in stock"),
    T("sell", [D.in_inventory], D.sold, [sale_price_given],
      prerequisite="only a device in stock can be sold"),
    # A revoked certificate or a reopened sanitization takes the unit out of sellable stock at once.
    # It goes to `quarantined`, not back to `graded`: nothing may list it again by accident.
    T("withdraw", [D.cleared, D.in_inventory], D.quarantined, [withdrawal_reason_given],
      prerequisite="only a cleared or listed device can be withdrawn from stock"),
    # Returns (RMA): a sold unit comes back under its warranty, is re-tested and re-graded (a grading record of
    # its own; the first one stays), then cleared and listed again like any graded unit. Its media keep their
    # verified wipes: the client's data was dealt with once and the certificate stands. What the buyer put on it
    # is erased before the re-grade (buyer_data_erased), and the re-grade's custody event says how.
    T("return", [D.sold], D.returned, [return_reason_given, within_warranty],
      prerequisite="only a sold unit can come back from its buyer"),
    # Never named as what a refused step needs: a re-grade is not a way to a grade at the bench.
    T("regrade", [D.returned], D.graded, [grade_given, buyer_data_erased],
      prerequisite="only a returned unit is re-graded; a unit on the bench is graded", hinted=False),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.name for t in TRANSITIONS))
# Taken by the system as part of a larger step (closing a batch), never offered as a button.
SYSTEM_ACTIONS = frozenset({"mark_missing"})
ALL_STATES = frozenset(s.value for s in D)
TERMINAL_STATES = frozenset(ALL_STATES - {s for t in TRANSITIONS for s in t.sources})
# Where the bench is done with a device, so its batch may close: the final states, plus units that
# went on to resale stock (selling them is not bench work and goes on after the batch closes).
SETTLED_STATES = TERMINAL_STATES | {D.cleared.value, D.in_inventory.value, D.sold.value}
# Resale stock moves: offered by the inventory pages and API, not at the bench.
STOCK_ACTIONS = frozenset({"list", "sell", "withdraw", "return"})
# Moves that go on after a batch has closed: stock is sold, and withdrawn when a certificate is revoked;
# a unit so withdrawn (quarantined) can then only be destroyed, so destruction must stay open too. A sold
# unit comes back under warranty long after its batch closed: it is re-graded, cleared and listed again.
# No other destroy, regrade or clear source can be left in a closed batch: closing needs every device
# settled, and `graded` is not, so a graded unit in a closed batch is a re-graded return.
AFTER_CLOSE_ACTIONS = STOCK_ACTIONS | {"destroy", "regrade", "clear"}


# ---------------------------------------------------------------- the table, indexed

def _index(pairs) -> dict:
    out: dict = {}
    for key, t in pairs:
        out.setdefault(key, []).append(t)
    return {key: tuple(rows) for key, rows in out.items()}


# Rows keep the table's order in every index: where two rows share an action and a state, the first wins.
_BY_ACTION: dict[str, tuple[Transition, ...]] = _index((t.name, t) for t in TRANSITIONS)
_BY_ACTION_STATE: dict[tuple[str, str], tuple[Transition, ...]] = _index(
    ((t.name, s), t) for t in TRANSITIONS for s in sorted(t.sources))
_BY_STATE: dict[str, tuple[Transition, ...]] = _index((s, t) for t in TRANSITIONS for s in sorted(t.sources))

# Enum values read once: `.value` on an enum member is a descriptor call, and apply reads them per result.
_SANITIZED, _VERIFIED, _DESTROYED = M.sanitized.value, M.verified.value, M.destroyed.value
_WIPED = frozenset({_SANITIZED, _VERIFIED})
_DESTROY_METHOD = Method.destroy.value


# ---------------------------------------------------------------- applying

def _check(t: Transition, ctx: Context) -> Refusal | None:
    for guard in t.guards:
        refusal = guard(ctx)
        if refusal:
            return refusal
    return None


def _state_refusal(action: str, device: DeviceFacts, rows: tuple[Transition, ...]) -> TransitionRefused:
    if device.state in TERMINAL_STATES:
        return TransitionRefused(action, device.state, f"{device.state} is a final state; nothing can follow it")
    # What would bring the device into a state this action starts from.
    wanted = {s for t in rows for s in t.sources}
    needs = tuple(dict.fromkeys(t.name for t in TRANSITIONS if t.target in wanted and t.hinted))
    return TransitionRefused(action, device.state, rows[0].prerequisite or
                             f"{action} needs the device to be {' or '.join(sorted(rows[0].sources))}", needs)


def allowed_transitions(device: DeviceFacts, policy: Policy, actor: Hashable,
                        medium_id: Any = None) -> list[str]:
    """Actions this actor may take on this device now (for one medium if medium_id is given).

    Guards that need input (the grade, the wipe record) are not judged here: apply() still may refuse.
    """
    allowed: list[str] = []
    for t in _BY_STATE.get(device.state, ()):
        if t.name in allowed:
            continue
        ctx = Context(device, actor, policy, {}, probing=True)
        if t.medium_step is None:
            if _check(t, ctx) is None:
                allowed.append(t.name)
            continue
        if carries_data(ctx):
            continue
        candidates = device.media if medium_id is None else [m for m in device.media if m.id == medium_id]
        for m in candidates:
            ctx.medium = m
            if _check(t, ctx) is None:
                allowed.append(t.name)
                break
    return allowed


def apply(device: DeviceFacts, action: str, actor: Hashable, policy: Policy, **facts: Any) -> Outcome:
    """Apply `action` to `device` as `actor` under `policy`, or raise TransitionRefused.

    Facts by action:
      sanitize: medium_id, method (clear/purge/destroy), technique, result (tool outcome, default
                "erased"), hidden_areas, verified_by_tool
      verify:   medium_id, passed (bool)
      grade:    grade
      match:    manifest_device_id
      destroy:  technique (optional; shred, disintegrate, ...)
      mark_missing: batch_closing=True
      sell:     price (the sale price, recorded in the custody evidence as a string)
      withdraw: reason
      return:   reason, returned_on, warranty_until (ISO dates)
      regrade:  grade, buyer_data_erased (the technique that erased the buyer's data; a data-bearing unit)
      any:      evidence (dict, copied into the custody evidence)
    """
    candidates = _BY_ACTION_STATE.get((action, device.state))
    if candidates is None:
        rows = _BY_ACTION.get(action)
        if rows is None:
            raise TransitionRefused(action, device.state,
                                    f"{action!r} is not an action (known: {', '.join(ACTIONS)})")
        if actor is None:
            raise TransitionRefused(action, device.state, "every step needs the person who performs it")
        raise _state_refusal(action, device, rows)
    if actor is None:
        raise TransitionRefused(action, device.state, "every step needs the person who performs it")

    refusal: Refusal | None = None
    for t in candidates:
        ctx = Context(device, actor, policy, facts, probing=False)
        if t.medium_step is not None:
            pre = carries_data(ctx)
            if pre:
                refusal = pre
                continue
            if facts.get("medium_id") is None and len(device.media) == 1:
                medium = device.media[0]    # a one-drive unit needs no medium_id at the bench
            else:
                medium = device.medium(facts.get("medium_id"))
            if medium is None:
                known = ", ".join(str(m.id) for m in device.media)
                refusal = Refusal(f"{action} needs medium_id, one of its media ({known})")
                continue
            ctx.medium = medium
        refusal = _check(t, ctx)
        if refusal is None:
            return _perform(t, ctx)
    raise TransitionRefused(action, device.state, refusal.reason, refusal.needs)


def _perform(t: Transition, ctx: Context) -> Outcome:
    device, facts, actor = ctx.device, ctx.facts, ctx.actor
    evidence: dict[str, Any] = dict(facts.get("evidence") or {})
    if t.medium_step is None:
        media = device.media
        changed: tuple[MediumFacts, ...] = ()
        grade = device.grade
        if t.name in ("grade", "regrade"):
            grade = str(facts["grade"]).strip()
            evidence["grade"] = grade
            if t.name == "regrade" and facts.get("buyer_data_erased"):
                evidence["buyer_data_erased"] = normalise_technique(str(facts["buyer_data_erased"]).strip())
        elif t.name == "destroy":
            tech = normalise_technique(facts["technique"]) if facts.get("technique") else None
            changed = tuple(replace(m, state=_DESTROYED, method=_DESTROY_METHOD,
                                    technique=tech or m.technique) for m in media)
            media = changed
            evidence["technique"] = tech
        elif t.name == "match":
            evidence["manifest_device_id"] = facts["manifest_device_id"]
        elif t.name == "sell":
            evidence["price"] = str(facts["price"])
        elif t.name == "withdraw":
            evidence["reason"] = str(facts["reason"]).strip()
        elif t.name == "return":
            evidence.update(reason=str(facts["reason"]).strip(), returned_on=str(facts["returned_on"]),
                            warranty_until=str(facts["warranty_until"]))
        new = device.moved(t.target, media, grade)
        return Outcome(t.name, device.state, t.target, new, changed, None, evidence)

    medium = ctx.medium
    step = t.medium_step
    assessment = None
    if t.name == "sanitize":
        try:
            assessment = assess(medium.media_type, facts.get("method") or "", facts.get("technique") or "",
                                tool_result=facts.get("result", "erased"),
                                hidden_areas=facts.get("hidden_areas"),
                                verified_by_tool=facts.get("verified_by_tool"),
                                minimum=ctx.policy.minimum_method)
        except ValueError as exc:
            raise TransitionRefused(t.name, device.state, str(exc)) from None
        if not assessment.accepted:
            raise TransitionRefused(t.name, device.state,
                                    f"the wipe record for medium {medium.id} is refused: " + "; ".join(assessment.reasons))
        passed = assessment.passed
        method, result = assessment.effective_method.value, assessment.result.value
        after = medium.wiped(step.passed if passed else step.failed, method, assessment.technique, result,
                             actor, medium.failed_wipes + (0 if passed else 1))
        evidence.update(medium_id=medium.id, claimed_method=assessment.claimed_method.value,
                        method=method, technique=assessment.technique,
                        decision=assessment.decision, result=result,
                        reasons=list(assessment.reasons))
    else:  # verify
        if "passed" not in facts or not isinstance(facts["passed"], bool):
            raise TransitionRefused(t.name, device.state, "verify needs passed=true or passed=false")
        passed = facts["passed"]
        after = medium.checked(step.passed if passed else step.failed, actor,
                               medium.failed_wipes + (0 if passed else 1))
        evidence.update(medium_id=medium.id, passed=passed, wiped_by=medium.sanitized_by)
    evidence["failed_wipes"] = after.failed_wipes

    media = tuple(after if m.id == medium.id else m for m in device.media)
    if not passed:
        target = t.on_failure
    elif t.name == "sanitize":
        done = all(m.state in _WIPED for m in media)
        target = t.target if done else device.state
    else:
        done = all(m.state == _VERIFIED for m in media if requires_verification(m, ctx.policy))
        target = t.target if done else device.state
    new = device.moved(target, media, device.grade)
    return Outcome(t.name, device.state, target, new, (after,), assessment, evidence)


def batch_close_blockers(devices: Iterable[DeviceFacts]) -> list[str]:
    """Why a batch cannot close yet (empty: it can). Registered devices do not block: closing marks
    them missing (apply 'mark_missing' with batch_closing=True)."""
    blockers = []
    for d in devices:
        if d.state == D.unexpected.value:
            blockers.append(f"device {d.id} was received without a manifest line; match it to a line or accept it")
    return blockers
