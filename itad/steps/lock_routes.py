"""A phone's or tablet's locks over the API: the bench records checks; the client lists its locked units and
answers for each (itad.steps.locks)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from itad.api import bp
from itad.api.contract import OPERATOR_ROLES, current_user, operation
from itad.api.schemas import DeviceOut
from itad.models import db
from itad.steps import locks
from itad.steps.schemas import VersionedIn

LockKind = Literal["activation_lock", "frp", "mdm", "carrier", "blacklist"]


class LockCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["clear", "locked", "unknown"]
    source: str = Field(min_length=1, max_length=200, description="where it was read: settings, a blacklist lookup...")


class LocksIn(VersionedIn):
    checks: dict[LockKind, LockCheck] = Field(min_length=1)


class LockedDeviceOut(DeviceOut):
    locks: dict | None
    locked: bool


class LockedList(BaseModel):
    items: list[LockedDeviceOut]


class LockAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["recheck", "destroy"] = Field(description="recheck: the lock is released, check it again")
    note: str | None = Field(None, max_length=500)


@bp.post("/devices/<int:device_id>/locks")
@operation("Record a phone's or tablet's lock checks (clear, locked or unknown, each with its source); one found "
           "locked waits for its client and cannot be cleared", roles=OPERATOR_ROLES, body=LocksIn,
           response=LockedDeviceOut, tags=("workflow",), errors=(404, 409, 422))
def record_locks(device_id: int, body: LocksIn):
    row = locks.record_locks(db.session, current_user(), device_id,
                             {k: (c.status, c.source) for k, c in body.checks.items()}, expected_version=body.version)
    return LockedDeviceOut.model_validate(row)


@bp.get("/locked-devices")
@operation("The phones and tablets a lock holds (a client: its own)", roles=("client", "admin"),
           response=LockedList, tags=("workflow",))
def list_locked():
    return LockedList(items=[LockedDeviceOut.model_validate(d) for d in locks.locked_devices(db.session, current_user())])


@bp.post("/devices/<int:device_id>/lock-answer")
@operation("The client's answer about a locked unit: recheck (the lock is released) or destroy",
           roles=("client", "admin"), body=LockAnswerIn, response=LockedDeviceOut, tags=("workflow",),
           errors=(404, 409, 422))
def lock_answer(device_id: int, body: LockAnswerIn):
    return LockedDeviceOut.model_validate(locks.instruct(db.session, current_user(), device_id, body.action, body.note))
