"""Verification of a wipe by a second person (four-eyes).

A failed verification sends the medium back to be wiped again (the device returns to `received`);
after the policy's max failed wipes, only destruction is left. Which wipes need a verification is
decided when the wipe is recorded (sampling: itad.steps.planning).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from itad.models import User
from itad.steps.applying import hold, run
from itad.steps.planning import Planned, Step


def verify(session: Session, actor: User, device_id: int, *, medium_id: int | None, passed: bool,
           notes: str | None = None, expected_version: int | None = None) -> Planned:
    held, device = hold(session, actor, device_id, expected_version=expected_version, action="verify")
    if medium_id is not None:
        device.require_medium(medium_id)
    return run(session, held, device, Step("verify", {"medium_id": medium_id, "passed": passed},
                                           {"notes": notes}, {"notes": notes}), actor)
