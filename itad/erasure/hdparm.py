"""Read hdparm transcripts: `hdparm -I` (identity and the Security section) before and after
`hdparm --security-erase(-enhanced)`.

hdparm prints nothing after " Issuing SECURITY_ERASE command, ..." when the drive accepts the erase, and
an SG_IO or ioctl error when it does not. What proves the erase finished is the drive's own state after it:
a successful SECURITY ERASE UNIT clears the user password, so `hdparm -I` afterwards says "not enabled".
A drive that is "frozen" refuses every security command until it is power-cycled.
"""

from __future__ import annotations

import re

from workflows.media import media_type

from itad.erasure.results import DriveResult, ToolReport

_HEADER = re.compile(r"^(/dev/[\w/.-]+):\s*$")
_IDENTITY = re.compile(r"^\s*(Model Number|Serial Number|Firmware Revision):\s*(.*?)\s*$")
_SIZE = re.compile(r"device size with M = 1000\*1000:\s*(\d+) MBytes")
_ROTATION = re.compile(r"Nominal Media Rotation Rate:\s*(.+?)\s*$")
_ISSUING = re.compile(r"Issuing (SECURITY_ERASE\w*) command")
_ERASE_COMMAND = re.compile(r"hdparm\b.*--security-erase(-enhanced)?\b.*?(/dev/\S+)")
_ERROR = re.compile(r"SG_IO:|bad/missing sense data|Input/output error|Invalid (argument|exchange)|"
                    r"Operation not permitted|HDIO_DRIVE_CMD.*failed|failed:")


def looks_like(text: str) -> bool:
    return bool(re.search(r"Issuing SECURITY_\w+ command", text) or "ATA device, with" in text
                or "Master password revision code" in text or re.search(r"^Security:\s*$", text, re.MULTILINE) or _ERASE_COMMAND.search(text))


class _Drive:
    def __init__(self, device: str | None) -> None:
        self.device = device
        self.facts: dict = {}
        self.security: list[dict] = []         # one per Security section, in order
        self.erase_at: int | None = None        # index in self.security when the erase was issued
        self.erase_line: str | None = None
        self.enhanced = False
        self.error: str | None = None


def read(text: str) -> ToolReport:
    report = ToolReport("hdparm", "hdparm")
    drives: dict[str | None, _Drive] = {}
    current: _Drive | None = None
    in_security = False
    pending_enhanced: dict[str, bool] = {}
    for raw in text.splitlines():
        line = raw.rstrip()
        command = _ERASE_COMMAND.search(line)
        if command:
            pending_enhanced[command.group(2)] = bool(command.group(1))
            continue
        header = _HEADER.match(line.strip())
        if header:
            current = drives.setdefault(header.group(1), _Drive(header.group(1)))
            in_security = False
            continue
        if current is None:
            current = drives.setdefault(None, _Drive(None))
        if re.match(r"^Security:\s*$", line.strip()):
            in_security = True
            current.security.append({})
            continue
        if in_security and line and not line[0].isspace():
            in_security = False
        if in_security:
            words = line.split()
            state = current.security[-1]
            for flag in ("enabled", "locked", "frozen", "expired"):
                if flag in words and (words[0] == flag or words[:2] == ["not", flag]):
                    state[flag] = words[0] != "not"
            if "enhanced erase" in line:
                state["enhanced_supported"] = words[0] != "not"
            continue
        identity = _IDENTITY.match(line)
        if identity:
            current.facts[identity.group(1)] = identity.group(2)
            continue
        size = _SIZE.search(line)
        if size:
            current.facts["capacity_bytes"] = int(size.group(1)) * 10**6
            continue
        rotation = _ROTATION.search(line)
        if rotation:
            current.facts["media_type"] = media_type(rotation.group(1)) or (
                "hdd" if rotation.group(1).isdigit() else None)
            continue
        issuing = _ISSUING.search(line)
        if issuing and issuing.group(1).startswith("SECURITY_ERASE"):
            current.erase_at, current.erase_line = len(current.security), line.strip()
            current.enhanced = pending_enhanced.get(current.device or "", False) or "ENHANCED" in issuing.group(1)
            continue
        if current.erase_at is not None and current.error is None and _ERROR.search(line):
            current.error = line.strip()
    for d in drives.values():
        if d.facts or d.security or d.erase_line:
            report.drives.append(_judge(d))
    if not report.drives:
        report.warnings.append("no drive identity, Security section or SECURITY ERASE in the transcript")
    return report


def _judge(d: _Drive) -> DriveResult:
    serial = d.facts.get("Serial Number") or None
    result = DriveResult("incomplete", device=d.device, serial=serial, model=d.facts.get("Model Number") or None,
                         capacity_bytes=d.facts.get("capacity_bytes"),
                         media_type=d.facts.get("media_type"), method="purge", technique="secure_erase",
                         hidden_areas=None)
    before = d.security[:d.erase_at] if d.erase_at is not None else d.security
    after = d.security[d.erase_at:] if d.erase_at is not None else []
    result.evidence = {"enhanced": d.enhanced, "security_before": before[-1] if before else None,
                       "security_after": after[-1] if after else None}
    if d.erase_at is None:
        frozen = any(s.get("frozen") for s in d.security)
        result.reason = ("the drive is frozen: it refuses SECURITY ERASE until it is power-cycled, and the "
                         "transcript shows no erase" if frozen else "the transcript shows no SECURITY ERASE")
        result.line = "frozen" if frozen else None
        return result
    result.line = d.erase_line
    if d.error:
        result.outcome, result.line, result.reason = "failed", d.error, "the drive refused the SECURITY ERASE"
    elif after and after[-1].get("enabled") is False:
        result.outcome = "erased"
        # Enhanced erase also reaches reallocated sectors; the normal one only what the host can address.
        result.hidden_areas = "none" if d.enhanced else None
    elif after and after[-1].get("enabled"):
        result.outcome, result.reason = "failed", "security is still enabled after the erase: it did not complete"
    else:
        result.outcome = "erased_with_warning"
        result.reason = "no `hdparm -I` after the erase shows the drive cleared its security state"
    return result
