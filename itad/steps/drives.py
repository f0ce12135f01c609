"""A drive's facts (type, make, model, capacity) as a person at the bench sets or corrects them, before its wipe.

Listed drives often arrive with their type unknown, and the type decides what a wipe counts as (a crypto
erase is Purge on an SSD, not on a drive of unknown type). What a wipe or a report says of a drive fills
its unknowns on the way (itad.steps.sanitizing); here a technician sets them, or corrects facts that a
wipe or report contradicted (the drive then leaves review). Each change is a custody event; once the
drive is wiped its facts are those its wipe was judged by and no longer change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from itad.models import User, utcnow
from itad.steps.applying import actor_of, hold, refused
from itad.steps.planning import Planned, compared, describe
from itad.steps.writing import write
from workflows.machine import TransitionRefused, allowed_transitions

# Before the wipe: while the device waits for it, and the drive has not been wiped (or its wipe failed).
DEVICE_STATES = ("registered", "unexpected", "received")
MEDIUM_STATES = ("pending", "failed")


def describe_medium(session: Session, actor: User, device_id: int, medium_id: int, *, media_type: str | None = None,
                    manufacturer: str | None = None, model: str | None = None, capacity_bytes: int | None = None,
                    expected_version: int | None = None) -> Planned | None:
    """Set the drive's facts; None when they are already so (nothing is written)."""
    held, device = hold(session, actor, device_id, expected_version=expected_version, action="describe_medium")
    device.require_medium(medium_id)
    medium = device.facts.medium(medium_id)
    given = {"media_type": media_type, "medium_manufacturer": manufacturer, "medium_model": model,
             "capacity_bytes": capacity_bytes}
    try:
        if (device.facts.state not in DEVICE_STATES or medium.state not in MEDIUM_STATES) \
                and not _confirms(device, medium_id, given):
            raise TransitionRefused("describe_medium", device.facts.state,
                                    f"medium {medium_id} is {medium.state}: a drive's facts are set before its "
                                    f"wipe; after it they are those the wipe was judged by (a drive under review "
                                    f"can still be confirmed as it stands)")
        now = utcnow()
        planned = describe(held, device, medium_id, given, actor_of(actor), now, source="bench", correcting=True)
    except TransitionRefused as exc:
        raise refused(exc, allowed_transitions(device.facts, held.batch_of(device).policy, actor.id)) from None
    if planned is not None:
        write(session, [planned], [device], now)
    return planned


def _confirms(device, medium_id: int, given: dict) -> bool:
    """After the wipe, a drive under review may only be confirmed as stored: nothing given fills or differs."""
    _, fills, conflicts = compared(device, medium_id, given)
    return device.media[medium_id].review_reason is not None and not fills and not conflicts
