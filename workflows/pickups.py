"""A pickup from a client's site, as data: its states, the moves between them, and what each move needs.

    requested --schedule--> scheduled --pick_up--> picked_up --depart--> in_transit --arrive--> arrived
        --reconcile--> reconciled;  requested or scheduled --cancel--> cancelled;  scheduled --schedule--> scheduled

The client requests; the operator schedules (date, crew, vehicle); the crew records the sealed containers at the site
and the handoff is signed by the client's representative and the driver (pick_up); the load travels (depart) and
reaches the dock (arrive), where each container's seal is read: intact, broken or another number than the one
recorded at the site (a seal exception, which the client sees). Reconciling needs every container's seal checked.

`move` returns the new state or raises PickupRefused, which says what the pickup is and what must come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

STATES = ("requested", "scheduled", "picked_up", "in_transit", "arrived", "reconciled", "cancelled")
CONTAINER_KINDS = ("pallet", "locked_bin", "gaylord", "box", "case")
SEAL_RESULTS = ("intact", "broken", "mismatched")


@dataclass(frozen=True)
class PickupFacts:
    state: str
    containers: int = 0             # recorded at the site
    unchecked: int = 0              # containers whose seal the dock has not read yet
    batches: int = 0                # batches it carries: the handoff is recorded on their custody chains


class PickupRefused(Exception):
    code = "pickup_refused"

    def __init__(self, action: str, state: str, reason: str, needs: tuple[str, ...] = ()):
        self.action, self.state, self.reason, self.needs = action, state, reason, needs
        super().__init__(f"Pickup is {state.replace('_', ' ')}; {reason}")


def _given(*names: str) -> Callable[[PickupFacts, dict], str | None]:
    def guard(p: PickupFacts, facts: dict) -> str | None:
        missing = [n.replace("_", " ") for n in names if not str(facts.get(n) or "").strip()]
        return f"it needs {', '.join(missing)}" if missing else None
    return guard


def _containers_recorded(p: PickupFacts, facts: dict) -> str | None:
    return None if p.containers else "record the sealed containers loaded at the site first"


def _batches_named(p: PickupFacts, facts: dict) -> str | None:
    return None if p.batches else "name the batch(es) it carries first: the handoff is recorded on their custody chains"


def _seals_checked(p: PickupFacts, facts: dict) -> str | None:
    return None if not p.unchecked else f"check the seal of every container at the dock first ({p.unchecked} left)"


@dataclass(frozen=True)
class Move:
    name: str
    sources: tuple[str, ...]
    target: str
    guards: tuple[Callable[[PickupFacts, dict], str | None], ...] = ()


MOVES: tuple[Move, ...] = (
    Move("schedule", ("requested", "scheduled"), "scheduled", (_given("scheduled_for", "crew", "vehicle"),)),
    Move("pick_up", ("scheduled",), "picked_up",
         (_batches_named, _containers_recorded, _given("client_representative", "driver"))),
    Move("depart", ("picked_up",), "in_transit"),
    Move("arrive", ("in_transit",), "arrived"),
    Move("reconcile", ("arrived",), "reconciled", (_seals_checked,)),
    Move("cancel", ("requested", "scheduled"), "cancelled", (_given("reason"),)),
)
_BY_NAME = {m.name: m for m in MOVES}
# Where containers may be recorded (at the site, before the handoff is signed) and seals read (at the dock).
LOADING = frozenset({"scheduled"})
AT_DOCK = frozenset({"arrived"})


def move(pickup: PickupFacts, action: str, **facts: Any) -> str:
    """The state after `action`, or PickupRefused naming what must come first."""
    m = _BY_NAME.get(action)
    if m is None:
        raise PickupRefused(action, pickup.state, f"{action!r} is not a pickup step (known: {', '.join(_BY_NAME)})")
    if pickup.state not in m.sources:
        needs = tuple(x.name for x in MOVES if x.target in m.sources and x.name != action)
        raise PickupRefused(action, pickup.state, f"{action.replace('_', ' ')} needs it to be "
                            f"{' or '.join(s.replace('_', ' ') for s in m.sources)}", needs)
    for guard in m.guards:
        reason = guard(pickup, facts)
        if reason:
            raise PickupRefused(action, pickup.state, reason)
    return m.target


def allowed(pickup: PickupFacts) -> list[str]:
    """The moves whose state fits now (input guards are judged when the move is made)."""
    return [m.name for m in MOVES if pickup.state in m.sources]


def seal_result(recorded: str, read: str, intact: bool) -> str:
    """What the dock found: the seal read is another number than the one recorded at the site (mismatched),
    or the same and broken, or the same and intact. Numbers compare without case and spaces."""
    def norm(s: str) -> str:
        return "".join(str(s).split()).upper()
    if norm(recorded) != norm(read):
        return "mismatched"
    return "intact" if intact else "broken"
