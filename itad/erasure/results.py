"""What every erasure report reader returns: one `DriveResult` per drive, with a verdict that says only
what the file proves.

outcome:
  erased               the file shows the erase finished cleanly
  erased_with_warning  it finished, but the file shows something that keeps it from counting as clean
  failed               the file shows the erase failed (an error, a failed state, write or verify errors)
  incomplete           the file does not show the erase finished: in progress, stuck, cancelled, started
                       without a result, or a fragment. Nothing is recorded for such a drive.
`line` is the line (or element) of the file that shows the outcome, kept as evidence. `method` is what the
tool claims (clear / purge); workflows.sanitization judges what the claim is worth on the drive's medium,
as for a hand-entered wipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RESULTS = ("erased", "erased_with_warning", "failed")           # what a wipe record can say
OUTCOMES = RESULTS + ("incomplete",)


@dataclass
class DriveResult:
    outcome: str
    line: str | None = None
    reason: str | None = None
    device: str | None = None                   # the tool's name for it: /dev/sda, nvme0n1, disk 1
    serial: str | None = None
    serial_truncated: bool = False
    manufacturer: str | None = None
    model: str | None = None
    capacity_bytes: int | None = None
    media_type: str | None = None
    method: str | None = None                   # the tool's claim: clear / purge
    technique: str | None = None
    passes: int | None = None
    hidden_areas: str | None = None
    verified_by_tool: bool | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def wipe_item(self, tool: str, version: str | None) -> dict[str, Any]:
        """The item sanitizing.apply_wipes takes (the caller adds medium_id)."""
        return {"method": self.method or "clear", "technique": self.technique or "overwrite",
                "result": self.outcome, "hidden_areas": self.hidden_areas,
                "verified_by_tool": self.verified_by_tool, "tool": tool, "tool_version": version,
                "passes": self.passes, "started_at": self.started_at, "finished_at": self.finished_at,
                "media_type": self.media_type, "medium_manufacturer": self.manufacturer,
                "medium_model": self.model, "capacity_bytes": self.capacity_bytes,
                "evidence": {**self.evidence, "device": self.device, "serial": self.serial, "line": self.line}}

    def about(self) -> dict[str, Any]:
        """How the drive is named in an answer or a review item."""
        return {"drive": self.device, "serial": self.serial or None, "serial_truncated": self.serial_truncated,
                "model": self.model, "outcome": self.outcome, "line": self.line}


@dataclass
class ToolReport:
    format: str                                 # nwipe, blancco, hdparm, nvme, openseachest, workbench
    tool: str
    version: str | None = None
    drives: list[DriveResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def first_line(text: str, *needles: str) -> str | None:
    """The first line of `text` holding any of `needles`, stripped: the evidence for a verdict."""
    for raw in text.splitlines():
        if any(n in raw for n in needles):
            return raw.strip()
    return None
