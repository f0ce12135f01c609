"""A phone's or tablet's locks: recorded at the bench, acted on by the client.

A technician records each check (Activation Lock / Find My, Google FRP, MDM enrolment, carrier lock, blacklist)
as clear, locked or unknown, with its source (where it was read: the device's settings, a carrier or GSMA
blacklist lookup...). The device row keeps the last of each (`locks`) and whether one is `locked`; each recording
is a custody event, and the workflow will not clear or list a unit that is not clear of every lock
(workflows.guards.locks_released). A unit found locked is listed for its client, who is told
(`locked_device`) and answers: the lock is released, so re-check it; or destroy the unit. Each answer is a
custody event; a release turns the locked checks to `unknown` until the bench checks again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import batches, notifications
from itad.auth.access import scope
from itad.errors import Conflict, Invalid, bounded
from itad.models import Batch, Device, User, utcnow
from itad.steps import custody
from itad.steps.applying import hold
from workflows import machine
from workflows.mobile import LOCK_KINDS, LOCK_NAMES, LOCK_STATUSES, any_locked, needs_lock_checks
from workflows.states import DeviceState

# Where a unit can be checked: in our hands (as the machine's destroy step counts them: quarantined and returned
# included). A unit back from its buyer is checked again though its batch has long closed.
IN_HAND = frozenset(s.value for s in (*machine.IN_HAND, DeviceState.quarantined, DeviceState.returned))
AFTER_RETURN = frozenset({DeviceState.returned.value, DeviceState.graded.value})


def checkable(state: str, batch_status: str) -> bool:
    """Whether a unit's locks can be recorded now: in hand, in an open batch or back from a buyer (a closed
    batch's unit is `returned`, or `graded` again after one: closing needs every unit settled)."""
    return state in IN_HAND and (batch_status == "open" or state in AFTER_RETURN)


MAX_SOURCE = 200
INSTRUCTIONS = ("recheck", "destroy")


def record_locks(session: Session, actor: User, device_id: int, checks: dict[str, tuple[str, str]], *,
                 expected_version: int | None = None) -> Device:
    """Record lock checks: {kind: (status, source)}; the kinds not named keep what they had."""
    for kind, (status, source) in checks.items():
        if kind not in LOCK_KINDS:
            raise Invalid(f"{kind!r} is not a lock; the locks are {', '.join(LOCK_KINDS)}.", code="unknown_lock")
        if status not in LOCK_STATUSES:
            raise Invalid(f"The {LOCK_NAMES[kind]} check is clear, locked or unknown, not {status!r}.",
                          code="unknown_lock_status")
        if not bounded(source, f"source of the {LOCK_NAMES[kind]} check", MAX_SOURCE, "lock_source_too_long"):
            raise Invalid(f"Say where the {LOCK_NAMES[kind]} check was read (its source).", code="lock_source_missing")
    if not checks:
        raise Invalid("Record at least one lock check.", code="no_lock_checks")
    _, device = hold(session, actor, device_id, expected_version=expected_version, action="record_locks",
                     open_unless=AFTER_RETURN)
    row = session.get(Device, device_id)
    if not needs_lock_checks(row.category):
        raise Invalid(f"{row.serial} is a {row.category or 'device of no category'}, not a phone or tablet: "
                      "it has no locks to record.", code="not_mobile")
    if device.facts.state not in IN_HAND:
        raise Conflict(f"Locks are checked on a unit in hand; {row.serial} is {device.facts.state}.",
                       code="not_in_hand", details={"state": device.facts.state, "needs": ["receive"]})
    now = utcnow().isoformat()
    recorded = {kind: {"status": status, "source": source.strip()} for kind, (status, source) in checks.items()}
    locks = dict(row.locks or {})
    for kind, check in recorded.items():
        locks[kind] = {**check, "by": actor.name, "at": now}
    if not any_locked(locks):
        locks.pop("client_instruction", None)      # answered: nothing holds the unit any more
    was_locked = row.locked
    row.locks, row.locked = locks, any_locked(locks)
    custody.append(session, row.batch_id, device_id=row.id, actor=actor, action="record_locks",
                   evidence={"checks": recorded})
    if row.locked and not was_locked:
        batch = session.get(Batch, row.batch_id)
        notifications.notify(session, row.organization_id, "locked_device", {
            "batch_id": batch.id, "reference": batch.reference, "device_id": row.id, "serial": row.serial,
            "locks": [k for k in LOCK_KINDS if (locks.get(k) or {}).get("status") == "locked"]})
    return row


def locked_devices(session: Session, user: User, *, limit: int = 200) -> list[Device]:
    """The units one of whose locks holds them, for the client to act on (an admin: every client's)."""
    return list(session.scalars(scope(sa.select(Device), Device, user).where(Device.locked.is_(True))
                                .order_by(Device.id).limit(limit)))


def instruct(session: Session, user: User, device_id: int, action: str, note: str | None = None) -> Device:
    """The client's answer about a locked unit: "recheck" (the lock is released: check it again) or "destroy"."""
    if action not in INSTRUCTIONS:
        raise Invalid(f"Answer recheck or destroy, not {action!r}.", code="unknown_instruction")
    note = bounded(note, "note", 500, "note_too_long")
    row = batches.get_device(session, user, device_id)
    custody.lock_batch(session, row.batch_id)
    session.refresh(row)
    if not row.locked:
        raise Conflict(f"{row.serial} is not held by a lock: there is nothing to answer.", code="not_locked",
                       details={"needs": []})
    locks = dict(row.locks or {})
    locks["client_instruction"] = {"action": action, "note": note, "by": user.name,
                                   "at": utcnow().isoformat()}
    if action == "recheck":
        for kind in LOCK_KINDS:
            if (locks.get(kind) or {}).get("status") == "locked":
                locks[kind] = {**locks[kind], "status": "unknown", "source": "released by the client; to be checked again"}
    row.locks, row.locked = locks, any_locked(locks)
    custody.append(session, row.batch_id, device_id=row.id, actor=user, action="client_lock_instruction",
                   evidence={"action": action, "note": locks["client_instruction"]["note"]})
    return row
