"""Read nvme-cli transcripts: `nvme sanitize-log`, `nvme format --ses`, `nvme sanitize`, with `nvme list` or
`nvme id-ctrl` for the drive's facts.

The sanitize-log is what proves a sanitize (NVMe Base Specification, Sanitize Status log page):
  SSTAT bits 2:0  0 never sanitized, 1 completed, 2 in progress, 3 failed, 4 completed without deallocation
  SSTAT bits 7:3  overwrite passes completed; bit 8 Global Data Erased
  SPROG           progress in 1/65536 steps; 65535 when no sanitize is running
  SCDW10 bits 2:0 the action last asked: 2 block erase, 3 overwrite, 4 crypto erase
`nvme sanitize` returns as soon as the drive accepts the command, so a transcript without a log proves
only that a sanitize was started. A format proves an erase only with a Secure Erase Setting (--ses 1, user
data erase; 2, crypto erase).
"""

from __future__ import annotations

import re

from workflows.media import capacity_bytes

from itad.erasure.results import DriveResult, ToolReport, first_line

_FIELD = re.compile(r"^\s*(Sanitize Progress|Sanitize Status|Sanitize Command Dword 10 Information)\s*"
                    r"\((SPROG|SSTAT|SCDW10)\)\s*:\s*(\S+)", re.MULTILINE)
_COMMAND = re.compile(r"nvme\s+(sanitize-log|sanitize|format)\b([^\n]*?)(/dev/\S+)")
_SES = re.compile(r"(?:--ses[= ]|-s\s*)(\d)")
_SANACT = re.compile(r"(?:--sanact[= ]|-a\s*)(\d)")
_LIST_ROW = re.compile(r"^(?P<node>(?:/dev/)?nvme\d+n\d+)\s+(?:(?:/dev/)?ng\d+n\d+\s+)?(?P<sn>\S+)\s+"
                       r"(?P<model>.+?)\s+(?:0x)?[0-9a-f]+\s+[\d.]+\s+[kMGTP]?B\s*/\s*(?P<size>[\d.]+\s+[kMGTP]?B)",
                       re.MULTILINE)
_ID_CTRL = re.compile(r"^(sn|mn)\s+:\s+(.+?)\s*$", re.MULTILINE)
_STATUS_ERROR = re.compile(r"NVMe status:|NVME Admin command error:|NVMe Status:")
_ACTIONS = {2: "block_erase", 3: "firmware_sanitize", 4: "crypto_erase"}
_SES_TECHNIQUES = {1: "firmware_sanitize", 2: "crypto_erase"}


def looks_like(text: str) -> bool:
    return bool(_FIELD.search(text) or "Success formatting namespace" in text or _COMMAND.search(text)
                or ("Node" in text and "SN" in text and "Model" in text and "nvme" in text))


def _int(value: str) -> int | None:
    try:
        return int(value, 0)
    except ValueError:
        return None


def _facts(text: str, node: str | None) -> dict:
    rows = list(_LIST_ROW.finditer(text))
    if node:
        rows = [r for r in rows if r["node"].removeprefix("/dev/").startswith(node.removeprefix("/dev/"))
                or node.removeprefix("/dev/").startswith(r["node"].removeprefix("/dev/"))] or rows
    if len(rows) == 1:
        r = rows[0]
        return {"device": r["node"], "serial": r["sn"], "model": r["model"].strip(),
                "capacity_bytes": capacity_bytes(r["size"].replace(" ", ""))}
    ids = dict(_ID_CTRL.findall(text))
    return {"serial": ids.get("sn"), "model": ids.get("mn")} if ids else {}


def read(text: str) -> ToolReport:
    report = ToolReport("nvme", "nvme-cli")
    commands = list(_COMMAND.finditer(text))
    node = commands[0].group(3) if commands else None
    facts = _facts(text, node)
    if not facts.get("serial"):
        report.warnings.append("the transcript shows no serial number (add `nvme list` or `nvme id-ctrl`): "
                               "the drive cannot be matched by itself")
    drive = DriveResult("incomplete", device=facts.get("device") or node, serial=facts.get("serial"),
                        model=facts.get("model"), capacity_bytes=facts.get("capacity_bytes"), media_type="nvme",
                        method="purge")
    fields = {m.group(2): m.group(3) for m in _FIELD.finditer(text)}
    error = first_line(text, "NVMe status:", "NVME Admin command error:", "NVMe Status:")
    if "SSTAT" in fields:
        _judge_log(drive, fields, text)
    elif "Success formatting namespace" in text:
        _judge_format(drive, text)
    elif error:
        drive.outcome, drive.line, drive.reason = "failed", error, "nvme-cli reported an error status"
        drive.technique = "firmware_sanitize"
    elif any(c.group(1) == "sanitize" for c in commands):
        drive.line = first_line(text, "nvme sanitize")
        drive.reason = "a sanitize was started, but no sanitize-log shows that it finished"
    else:
        report.warnings.append("no sanitize log, format or sanitize command in the transcript: no erase shown")
        return report
    if error and drive.outcome in ("erased", "erased_with_warning"):
        drive.outcome, drive.line, drive.reason = "failed", error, "nvme-cli reported an error status"
    report.drives.append(drive)
    return report


def _judge_log(drive: DriveResult, fields: dict[str, str], text: str) -> None:
    sstat, sprog = _int(fields["SSTAT"]) or 0, _int(fields.get("SPROG", ""))
    action = (_int(fields.get("SCDW10", "")) or 0) & 0x7
    status = sstat & 0x7
    drive.line = first_line(text, "(SSTAT)")
    drive.technique = _ACTIONS.get(action, "firmware_sanitize")
    passes = (sstat >> 3) & 0x1F
    drive.passes = passes or None
    drive.evidence = {"sstat": fields["SSTAT"], "sprog": fields.get("SPROG"), "scdw10": fields.get("SCDW10"),
                      "global_data_erased": bool(sstat & 0x100)}
    if status in (1, 4):
        drive.outcome = "erased"
        drive.verified_by_tool = None
    elif status == 2:
        done = f"{sprog / 65536:.1%}" if sprog is not None else "unknown"
        drive.reason = f"the drive reports the sanitize still in progress ({done} done, SPROG {sprog})"
    elif status == 3:
        drive.outcome, drive.reason = "failed", "the drive reports the last sanitize failed"
    else:
        drive.reason = "the drive reports it has never been sanitized"


def _judge_format(drive: DriveResult, text: str) -> None:
    command = first_line(text, "nvme format")
    ses = _SES.search(command) if command else None
    drive.line = first_line(text, "Success formatting namespace")
    if ses is None or int(ses.group(1)) not in _SES_TECHNIQUES:
        drive.reason = ("the format is shown without a Secure Erase Setting (--ses 1 or 2): "
                        "a format without one erases no user data")
        return
    drive.outcome, drive.technique = "erased", _SES_TECHNIQUES[int(ses.group(1))]
    drive.evidence = {"ses": int(ses.group(1))}
