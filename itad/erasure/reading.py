"""One entry for every erasure report: the format is recognised from the content, never from the file's name,
and the file becomes a `ToolReport` of per-drive results (itad.erasure.results)."""

from __future__ import annotations

from itad.erasure import blancco, hdparm, nvme, openseachest
from itad.erasure.nwipe import ERROR_ROW, LOG_LINE, STATUS_ROW, DriveErasure, parse_nwipe_log
from itad.erasure.results import DriveResult, ToolReport
from itad.erasure.workbench import StorageErasure, parse_workbench_snapshot

FORMATS = ("blancco", "workbench", "openseachest", "nvme", "hdparm", "nwipe")


class UnknownFormat(ValueError):
    pass


def _is_workbench(text: str) -> bool:
    head = text.lstrip()[:20_000]
    return ("components" in head and ("software" in head or "Workbench" in head)
            and head[:1] in "{-" + "abcdefghijklmnopqrstuvwxyz")


def _is_nwipe(text: str) -> bool:
    lines = text.splitlines()[:2000]
    return any(LOG_LINE.match(line) or STATUS_ROW.match(line) or ERROR_ROW.match(line) for line in lines) \
        or "nwipe" in text[:100_000].lower()


def detect(text: str) -> str:
    """The report's format, by the content's own marks (most specific first)."""
    checks = (("blancco", blancco.looks_like), ("workbench", _is_workbench),
              ("openseachest", openseachest.looks_like), ("nvme", nvme.looks_like),
              ("hdparm", hdparm.looks_like), ("nwipe", _is_nwipe))
    for name, looks_like in checks:
        if looks_like(text):
            return name
    raise UnknownFormat("The file is not a report this server reads: nwipe or ShredOS log, Blancco XML report, "
                        "hdparm, nvme-cli or openSeaChest transcript, or eReuse Workbench snapshot.")


def read_report(data: bytes | str) -> ToolReport:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.replace("\x00", "")
    kind = detect(text)
    if kind == "nwipe":
        return _from_nwipe(text)
    if kind == "workbench":
        return _from_workbench(text)
    return {"blancco": blancco.read, "openseachest": openseachest.read, "nvme": nvme.read,
            "hdparm": hdparm.read}[kind](text)


# ---------------------------------------------------------------- nwipe and Workbench, read by their own modules

_NWIPE_INCOMPLETE = {"cancelled": "nwipe was cancelled before it finished this drive",
                     "unknown": "the log does not show how this drive's wipe ended (a fragment)"}


def _from_nwipe(text: str) -> ToolReport:
    log = parse_nwipe_log(text)
    tool = f"nwipe ({log.distribution})" if log.distribution else "nwipe"
    report = ToolReport("nwipe", tool, log.version, warnings=list(log.warnings))
    report.drives = [_nwipe_drive(d, log.version) for d in log.drives]
    return report


def _nwipe_drive(d: DriveErasure, version: str | None) -> DriveResult:
    facts = d.sanitize_facts(version)
    outcome = d.result if d.result in ("erased", "erased_with_warning", "failed") else "incomplete"
    line = (d.failure_lines[0] if d.failure_lines else
            f"{d.device} | {d.status}" if d.status else None)
    reason = _NWIPE_INCOMPLETE.get(d.result) or ("; ".join(d.notes) or None)
    return DriveResult(outcome, line=line, reason=reason, device=d.device, serial=d.serial,
                       serial_truncated=d.serial_truncated, model=d.model, method=facts["method"],
                       technique=facts["technique"], passes=d.passes, hidden_areas=d.hidden_areas,
                       verified_by_tool=facts["verified_by_tool"], started_at=d.started_at,
                       finished_at=d.ended_at, evidence=facts["evidence"])


def _from_workbench(text: str) -> ToolReport:
    snapshot = parse_workbench_snapshot(text)
    report = ToolReport("workbench", snapshot.software or "Workbench", snapshot.version,
                        warnings=list(snapshot.warnings))
    report.drives = [_workbench_drive(s) for s in snapshot.storage]
    return report


def _workbench_drive(s: StorageErasure) -> DriveResult:
    erased = s.result in ("erased", "erased_with_warning", "failed")
    return DriveResult(
        s.result if erased else "incomplete", device=s.interface, serial=s.serial, manufacturer=s.manufacturer,
        model=s.model, capacity_bytes=s.size_mb * 10**6 if s.size_mb else None,
        media_type=None if s.media_type == "unknown" else s.media_type, method=s.nist_method or "clear",
        technique=s.technique, started_at=s.started_at, finished_at=s.ended_at,
        line=f"{s.erasure}: steps {', '.join(filter(None, s.steps))}" if s.erasure else None,
        reason=None if erased else "the snapshot has no erasure for this drive",
        evidence={"erasure": s.erasure, "steps": s.steps, "smart_status": s.smart_status})
