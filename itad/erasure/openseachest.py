"""Read openSeaChest_Erase output: `--sanitize <blockerase|cryptoerase|overwrite>`, `--overwrite` (the erase
range) and the `--deviceInfo` identity lines.

The verdict lines are openSeaChest_Erase's own (utils/C/openSeaChest/openSeaChest_Erase.c): with --poll,
"Sanitize command passed!" says the drive finished; without it, "Sanitize command has been started" says only
that the drive accepted it. An overwrite proves the whole drive only when it ran from LBA 0 to the drive's
last LBA, which the output must show (MaxLBA from --deviceInfo).
"""

from __future__ import annotations

import re

from workflows.media import capacity_bytes, media_type

from itad.erasure.results import DriveResult, ToolReport, first_line

_VERSION = re.compile(r"openSeaChest_\w+ Version:\s*(\S+)")
_DEVICE = re.compile(r"^(?P<handle>(?:/dev/|PD|\\\\)\S+) - (?P<rest>.+)$", re.MULTILINE)
_FIELD = re.compile(r"^\s*(Serial Number|Model Number|MaxLBA|Media Type|Drive Capacity \(GB/GiB\))\s*:\s*(.+?)\s*$",
                    re.MULTILINE)
_OVERWROTE = re.compile(r"Successfully overwrote LBAs (\d+) to (\d+)")
_STARTING = {"Starting Sanitize Block Erase": "block_erase", "Starting Sanitize Crypto Scramble": "crypto_erase",
             "Starting Sanitize Overwrite Erase": "firmware_sanitize"}
# (line, outcome, reason): the first one present decides.
_VERDICTS = (
    ("Sanitize command passed!", "erased", None),
    ("Sanitize command failed!", "failed", "openSeaChest reports the sanitize failed"),
    ("Sanitize command has been started", "incomplete",
     "the sanitize was started without --poll: the output does not show that it finished"),
    ("A sanitize command is already in progress", "incomplete", "a sanitize was already in progress"),
    ("sanitize frozen", "incomplete", "the drive is sanitize-frozen: nothing was erased"),
    ("Sanitize command not supported", "incomplete", "the drive does not support sanitize: nothing was erased"),
    ("Sanitize command was blocked by the OS", "incomplete", "the OS blocked the sanitize: nothing was erased"),
    ("Unknown error in sanitize command", "failed", "openSeaChest reports an unknown sanitize error"),
    ("Failed to erase LBAs", "failed", "openSeaChest reports the overwrite failed"),
    ("Erase Range is not supported", "incomplete", "the drive does not support the overwrite: nothing was erased"),
)


def looks_like(text: str) -> bool:
    return "openSeaChest" in text or any(v[0] in text for v in _VERDICTS) or bool(_OVERWROTE.search(text))


def read(text: str) -> ToolReport:
    version = _VERSION.search(text)
    report = ToolReport("openseachest", "openSeaChest_Erase", version.group(1) if version else None)
    fields = dict(_FIELD.findall(text))
    drive = DriveResult("incomplete", method="purge", technique=None,
                        serial=fields.get("Serial Number"), model=fields.get("Model Number"),
                        media_type=media_type(fields.get("Media Type")),
                        capacity_bytes=capacity_bytes((fields.get("Drive Capacity (GB/GiB)") or "").split("/")[0],
                                                      unit="GB"))
    device = _DEVICE.search(text)
    if device:
        parts = [p.strip() for p in device.group("rest").split(" - ")]
        drive.device = device.group("handle")
        drive.model = drive.model or (parts[0] or None)
        if len(parts) >= 4 and not drive.serial:      # model - serial - firmware - interface
            drive.serial = parts[1] or None
    if not drive.serial:
        report.warnings.append("openSeaChest printed no serial number (run it with --deviceInfo): "
                               "the drive cannot be matched by itself")
    drive.technique = next((t for line, t in _STARTING.items() if line in text), None)
    overwrote = _OVERWROTE.search(text)
    for needle, outcome, reason in _VERDICTS:
        if needle in text:
            drive.outcome, drive.reason, drive.line = outcome, reason, first_line(text, needle)
            break
    else:
        if overwrote:
            _judge_overwrite(drive, overwrote, fields.get("MaxLBA"))
        elif drive.technique is None:
            report.warnings.append("no sanitize or overwrite in the output: no erase shown")
            return report
        else:
            drive.reason, drive.line = "the output ends before the sanitize's result", first_line(text, "Starting")
    drive.technique = drive.technique or ("overwrite" if overwrote else "firmware_sanitize")
    if drive.technique == "overwrite":
        drive.method = "clear"
    report.drives.append(drive)
    return report


def _judge_overwrite(drive: DriveResult, overwrote: re.Match, max_lba: str | None) -> None:
    drive.technique, drive.line = "overwrite", overwrote.group(0)
    start, end = int(overwrote.group(1)), int(overwrote.group(2))
    last = int(max_lba) if max_lba and max_lba.isdigit() else None
    if start == 0 and last is not None and end >= last:
        drive.outcome = "erased"
    else:
        drive.outcome = "erased_with_warning"
        drive.reason = (f"LBAs {start} to {end} were overwritten; the output does not show the drive's last LBA"
                        if last is None else f"LBAs {start} to {end} of 0 to {last} were overwritten")
