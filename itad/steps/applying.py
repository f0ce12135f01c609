"""Applying one step: lock, plan, write. The services of the bench steps call this, or plan and write
many steps themselves with the same parts (a bulk of wipe results, a closing batch).

    held = lock(session, [device_id])           # itad.steps.held: the one locking sequence
    planned = plan(held, device, step, ...)     # itad.steps.planning: pure
    write(session, [planned], [device], now)    # itad.steps.writing: the one writer
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from itad.errors import Conflict
from itad.models import User, utcnow
from itad.steps.held import Held, HeldDevice, check_version, lock
from itad.steps.planning import Actor, Planned, Step, plan
from itad.steps.writing import write
from workflows.machine import AFTER_CLOSE_ACTIONS, TransitionRefused, allowed_transitions


def open_to(action: str | None, batch_status: str) -> bool:
    """Whether `action` may be taken on a device of a batch in `batch_status`: any while the batch is open; once it
    is closed, only the moves that go on after close (stock, destroy, a return's re-grade and clearing)."""
    return batch_status == "open" or action in AFTER_CLOSE_ACTIONS


def hold(session: Session, user: User, device_id: int, *, expected_version: int | None = None,
         action: str | None = None, also: tuple[int, ...] = (),
         open_unless: frozenset[str] = frozenset()) -> tuple[Held, HeldDevice]:
    """The device locked with its batch: 404 if missing or another client's, 409 if the client saw another
    version, or if its batch is closed and the action is not one that goes on after close (stock, destroy,
    a return's re-grade); open_unless: device states in which the caller judges a closed batch itself.
    also: other devices the step needs, locked in the same sequence (a matched manifest line)."""
    held = lock(session, [device_id, *also])
    device = held.device(device_id, user)
    check_version(device, expected_version)
    if not open_to(action, held.batch_of(device).status) and device.facts.state not in open_unless:
        held.require_open(device)
    return held, device


def apply_step(session: Session, actor: User, device_id: int, step: Step, *,
               expected_version: int | None = None) -> Planned:
    """Lock the device, plan the step, write it; 409 (what must come first) if the machine refuses it."""
    held, device = hold(session, actor, device_id, expected_version=expected_version, action=step.action)
    return run(session, held, device, step, actor)


def run(session: Session, held: Held, device: HeldDevice, step: Step, actor: User, *,
        medium_added: bool = False) -> Planned:
    """Plan and write one step on a device already held."""
    now = utcnow()
    planned = plan_or_refuse(held, device, step, actor, now, medium_added=medium_added)
    write(session, [planned], [device], now)
    return planned


def plan_or_refuse(held: Held, device: HeldDevice, step: Step, actor: User, now, *,
                   medium_added: bool = False) -> Planned:
    try:
        return plan(held, device, step, actor_of(actor), now, medium_added=medium_added)
    except TransitionRefused as exc:
        raise refused(exc, allowed_transitions(device.facts, held.batch_of(device).policy, actor.id)) from None


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.name)


def refused(exc: TransitionRefused, allowed: list[str]) -> Conflict:
    """The 409 a person can act on: what state the device is in, and what must happen first."""
    return Conflict(str(exc), code="transition_refused",
                    details={"state": exc.state, "action": exc.action, "reason": exc.reason,
                             "allowed": allowed, "needs": list(exc.needs)})


def allowed_now(session: Session, user: User, device_id: int) -> tuple[list[str], dict[int, list[str]]]:
    """(the moves allowed on the device now, those allowed on each medium), read without locks."""
    held = lock(session, [device_id], locking=False)
    device = held.device(device_id, user)
    policy = held.batch_of(device).policy
    return (allowed_transitions(device.facts, policy, user.id),
            {m.id: allowed_transitions(device.facts, policy, user.id, m.id) for m in device.facts.media})
