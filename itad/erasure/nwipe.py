"""Read an nwipe log into per-drive erasure results.

nwipe (and ShredOS, which runs it) writes timestamped log lines while it works and, at the end, up to
three fixed-width tables: Error Summary, Erasure Summary (0.4x) and Drive Status. Technicians upload
whatever they have, which is often a fragment (copied from a screen, cut mid-table or mid-line) or
an older format. So rows are recognised by their own shape, not by the table header above them, and
nothing here raises on bad input: what could be read is returned, with `warnings` saying what could not.

What a drive's `result` means:
  erased               Drive Status says Erased, no errors, hidden areas not in doubt
  erased_with_warning  erased, but HPA/DCO were found or could not be checked, or fewer bytes
                       were erased than the drive holds (Erasure Summary flag)
  failed               -FAILED-/INSANITY, any pass/verify/fdatasync error, or a FAILURE line
  cancelled            the user aborted (UABORTED, "Wipe thread ... cancelled", abort message)
  unknown              the log shows the drive but not how its wipe ended (fragment)
Every nwipe method is an overwrite from the host, which NIST SP 800-88 credits as Clear on any medium;
a Purge claim needs a different tool (sanitize command, crypto erase), see workflows.sanitization.
Times are naive datetimes in the wiping machine's local time, as nwipe logs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Method label (as nwipe prints it) -> technique. Verify-only methods erase nothing.
NWIPE_METHODS: dict[str, str] = {
    "DoD 5220.22-M": "overwrite", "DoD Short": "overwrite", "Gutmann Wipe": "overwrite",
    "RCMP TSSIT OPS-II": "overwrite", "PRNG Stream": "overwrite", "Fill With Zeros": "overwrite",
    "Fill With Ones": "overwrite", "Zero Fill": "overwrite", "One Fill": "overwrite",
    "HMG IS5 Enhanced": "overwrite", "Bruce Schneier 7-Pass": "overwrite", "BMB21-2019": "overwrite",
    "Verify Zeros (0x00)": "verify_only", "Verify Ones  (0xFF)": "verify_only",
    "Verify Ones (0xFF)": "verify_only",
}
VERIFY_CODES = {"NV": "Verify None", "VL": "Verify Last Pass", "VA": "Verify All Passes"}
STATUS_RESULTS = {"Erased": "erased", "-FAILED-": "failed", "FAILED": "failed", "UABORTED": "cancelled",
                  "INSANITY": "failed"}


def technique_for(method: str | None) -> str | None:
    if not method:
        return None
    label = method.strip()
    if label in NWIPE_METHODS:
        return NWIPE_METHODS[label]
    return "verify_only" if label.lower().startswith("verify") else "overwrite"


def nist_method_for(method: str | None) -> str | None:
    """An nwipe overwrite is Clear (NIST SP 800-88 Rev. 1, HDD and flash alike); never Purge."""
    return "clear" if technique_for(method) == "overwrite" else None


@dataclass
class DriveErasure:
    device: str                                 # "/dev/sda"
    model: str | None = None
    serial: str | None = None                   # "" when nwipe printed an empty S/N
    serial_truncated: bool = False              # the line was cut at the terminal width inside the serial
    size: str | None = None                     # as printed, e.g. "1000 GB"
    bus: str | None = None                      # "ATA", "USB", ...
    method: str | None = None
    prng: str | None = None
    verification: str | None = None
    blanking: bool | None = None
    rounds: int | None = None                   # requested
    rounds_completed: int | None = None
    passes: int | None = None                   # passes per round
    status: str | None = None                   # Drive Status column, raw
    result: str = "unknown"
    flagged: bool = False                       # nwipe's "!" on any table row
    pass_errors: int | None = None
    verify_errors: int | None = None
    sync_errors: int | None = None
    bytes_written: int | None = None
    bytes_erased: int | None = None
    bytes_total: int | None = None
    percent_erased: str | None = None
    throughput: str | None = None               # "140 MB/s"
    duration: str | None = None                 # "HH:MM:SS"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    hidden_areas: str | None = None             # none / present / unknown (HPA/DCO)
    cancelled: bool = False
    failure_lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def technique(self) -> str | None:
        return technique_for(self.method) or ("overwrite" if self.result != "unknown" else None)

    @property
    def nist_method(self) -> str | None:
        return "clear" if self.technique == "overwrite" else None

    @property
    def errors(self) -> dict[str, int | None]:
        return {"pass": self.pass_errors, "verify": self.verify_errors, "sync": self.sync_errors}

    def sanitize_facts(self, tool_version: str | None = None) -> dict[str, Any]:
        """Keyword facts for workflows.machine.apply(..., "sanitize", ...) (medium_id added by the caller)."""
        return {
            "method": self.nist_method or "clear",
            "technique": self.technique or "overwrite",
            "result": self.result,
            "hidden_areas": self.hidden_areas,
            "verified_by_tool": None if self.verification is None else self.verification != "Verify None",
            "evidence": {
                "tool": "nwipe", "tool_version": tool_version, "device": self.device, "model": self.model,
                "serial": self.serial, "nwipe_method": self.method, "verification": self.verification,
                "errors": self.errors, "status": self.status,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None,
                "throughput": self.throughput,
            },
        }


@dataclass
class NwipeReport:
    tool: str = "nwipe"
    version: str | None = None
    distribution: str | None = None             # "ShredOS v2024.11_27_x86-64" when ShredOS ran nwipe
    method: str | None = None
    prng: str | None = None
    rounds: int | None = None
    blanking: bool | None = None
    verification: str | None = None
    total_throughput: str | None = None
    finished_at: datetime | None = None
    outcome: str | None = None                  # completed / errors / aborted / aborted_before_start
    drives: list[DriveErasure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def drive(self, device: str) -> DriveErasure | None:
        key = _key(device)
        return next((d for d in self.drives if _key(d.device) == key), None)


# ---------------------------------------------------------------- line shapes

_TS = r"\[(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})\]"
LOG_LINE = re.compile(_TS + r"\s+(?:nwipe:\s+)?(debug|info|notice|warning|error|fatal|sanity):\s?(.*)$")
TIMESTAMPED = re.compile(_TS + r"\s*")
TOTAL_LINE = re.compile(_TS + r"\s+Total Throughput\s*(.*)$")
TOTAL_FIELDS = re.compile(r"^(?P<tp>[^,]+?/s),\s*(?P<method>.+?),\s*(?P<rounds>\d+)R\+(?P<blank>N?B)\+(?P<verify>NV|VL|VA)\s*$")
STATUS_ROW = re.compile(r"^(?P<flag>!)?\s*(?P<dev>\S+)\s*\|(?P<status>[^|]{1,12})\|\s*(?P<tp>[^|]*?/s)\s*\|"
                        r"\s*(?P<dur>\d+:\d{2}:\d{2})\s*\|\s?(?P<ms>.*)$")
ERASURE_ROW = re.compile(r"^(?P<flag>!)?\s*(?P<dev>\S+)\s*\|\s*(?P<erased>\d+)\s*\|\s*(?P<total>\d+)\s*\|"
                         r"\s*(?P<pct>\d+(?:\.\d+)?%|N/A)\s*$")
ERROR_ROW = re.compile(r"^(?P<flag>!)?\s*(?P<dev>\S+)\s*\|\s*(?P<pass>\d+)\s*\|\s*(?P<verify>\d+)\s*\|"
                       r"\s*(?P<sync>\d+)?\s*$")
FOUND = re.compile(r"^Found (?P<dev>/\S+?),\s*(?P<rest>.*)$")
# Before 0.28 nwipe wrote "pass 1 of 3, round 1 of 1, on device '/dev/sdb'."; since, "pass 1/3, round 1/1, on /dev/sdb".
_ON_DEVICE = r"on (?:device )?'?(/[^\s']+?)'?\.?$"
STARTING = re.compile(r"Starting pass (\d+)(?:/| of )(\d+), round (\d+)(?:/| of )(\d+), " + _ON_DEVICE)
FINISHED_FINAL = re.compile(r"Finished final round (\d+) of (\d+) " + _ON_DEVICE)
BYTES_WRITTEN = re.compile(r"^(\d+) bytes written to (?:device )?'?(/[^\s']+?)'?\.?$")
CANCELLED = re.compile(r"Wipe thread for device (\S+) has been cancelled")
STATUS_DEBUG = re.compile(r"Status: (\S+?), result=(-?\d+), pass_errors=(\d+), verify_errors=(\d+), fsync_errors=(\d+)")
FAILURE = re.compile(r"(\S+?):? >>> FAILURE! <<<")
METHOD = re.compile(r"method '([^']+)'(?: " + _ON_DEVICE + ")?")
PRNG = re.compile(r"Initialising (.+?) prng")
VERSION = re.compile(r"\bnwipe\b[^0-9\n]{0,20}?(\d+\.\d+(?:\.\d+)?(?:[-.]\w+)?)", re.IGNORECASE)
# ShredOS logs its own release, which ends with the nwipe version it ships: "ShredOS v2024.11_27_x86-64_0.38".
SHREDOS = re.compile(r"^(ShredOS v\S+?)_(\d+\.\d+(?:\.\d+)?)\s*$")
# The first line of a drive's write trouble: it ends that drive's wipe as failed whatever follows.
WRITE_ERROR = re.compile(r"write\(\) failed on|[Ww]rite error on|giving up write\(\)|I/O error")
TERMINAL_WIDTH = 79     # nwipe before 0.28 cut log lines at the 80-column terminal
DEV_IN_TEXT = re.compile(r"(/dev/[\w./-]+?)(?=[\s,:;)'\"]|$)")
OUTCOMES = {
    "Nwipe successfully completed": "completed",
    "Nwipe exited with errors": "errors",
    "Nwipe was aborted by the user prior to the wipe starting": "aborted_before_start",
    "Nwipe was aborted by the user": "aborted",
}
TABLES = ("Error Summary", "Erasure Summary", "Drive Status")
CONTINUATION_INDENT = " " * 31


def _key(device: str) -> str:
    return device[5:] if device.startswith("/dev/") else device


def _ts(groups) -> datetime | None:
    try:
        return datetime(*(int(g) for g in groups[:6]))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- parsing

class _Reader:
    def __init__(self) -> None:
        self.report = NwipeReport()
        self.table: str | None = None
        self.rows_without_header = False
        self.line_length = 0
        self.by_key: dict[str, DriveErasure] = {}      # "sda" -> its drive: a 1,000-drive log names each often

    def drive(self, name: str) -> DriveErasure:
        name = name.strip().rstrip(":,")
        found = self.by_key.get(_key(name))
        if found is None:
            found = DriveErasure("/dev/" + _key(name) if not name.startswith("/") else name)
            self.report.drives.append(found)
            self.by_key[_key(name)] = found
        return found

    def warn(self, text: str) -> None:
        if text not in self.report.warnings:
            self.report.warnings.append(text)

    # -- lines

    def line(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        self.line_length = len(line.rstrip())
        if stripped.startswith("*"):
            self.banner(number, stripped)
            return
        if set(stripped) == {"-"}:
            return
        total = TOTAL_LINE.match(line)
        if total:
            self.total(number, total)
            return
        log = LOG_LINE.match(line)
        if log:
            self.message(_ts(log.groups()), log.group(7), log.group(8))
            return
        if TIMESTAMPED.match(line):
            if "Total Throughput".startswith(line[TIMESTAMPED.match(line).end():].strip()[:16]) \
                    or "Total Thr" in line:
                self.warn(f"line {number}: Total Throughput line is cut: method and rounds unknown")
            else:
                self.warn(f"line {number}: log line not understood (cut?): {stripped[:80]!r}")
            return
        if "|" in line:
            self.row(number, line)

    def banner(self, number: int, stripped: str) -> None:
        for name in TABLES:
            if name in stripped:
                self.table = name
                return
        if set(stripped) == {"*"}:
            if len(stripped) < 80:
                self.warn(f"line {number}: a table border is cut short: the log is a fragment")
            self.table = None

    def row(self, number: int, line: str) -> None:
        if "Device" in line and ("Pass Errors" in line or "Status" in line or "Bytes Erased" in line):
            return  # column headings
        if self.table is None and not self.rows_without_header:
            self.rows_without_header = True
            self.warn(f"line {number}: table rows without their table heading: the log is a fragment")
        m = STATUS_ROW.match(line)
        if m:
            d = self.drive(m["dev"])
            d.flagged |= bool(m["flag"])
            d.status = m["status"].strip()
            d.throughput = m["tp"].strip()
            d.duration = m["dur"]
            model, sep, serial = m["ms"].rstrip().rpartition("/")
            if sep:
                d.model = d.model or model.strip() or None
                d.serial = serial.strip() if not d.serial else d.serial
            elif m["ms"].strip():
                d.model = d.model or m["ms"].strip()
                self.warn(f"line {number}: Model/Serial column has no '/': serial unknown")
            return
        m = ERASURE_ROW.match(line)
        if m:
            d = self.drive(m["dev"])
            d.flagged |= bool(m["flag"])
            d.bytes_erased, d.bytes_total, d.percent_erased = int(m["erased"]), int(m["total"]), m["pct"]
            if m["flag"]:
                d.notes.append("bytes erased differ from the drive's size")
            return
        m = ERROR_ROW.match(line)
        if m:
            d = self.drive(m["dev"])
            d.flagged |= bool(m["flag"])
            d.pass_errors, d.verify_errors = int(m["pass"]), int(m["verify"])
            if m["sync"] is not None:
                d.sync_errors = int(m["sync"])
            return
        self.warn(f"line {number}: table row not understood (cut or unknown format): {line.strip()[:80]!r}")

    def total(self, number: int, m: re.Match) -> None:
        r = self.report
        r.finished_at = _ts(m.groups())
        fields = TOTAL_FIELDS.match(m.group(7).strip())
        if not fields:
            self.warn(f"line {number}: Total Throughput line is cut: method and rounds unknown")
            return
        r.total_throughput = fields["tp"].strip()
        r.method = fields["method"].strip()
        r.rounds = int(fields["rounds"])
        r.blanking = fields["blank"] == "B"
        r.verification = VERIFY_CODES[fields["verify"]]

    def message(self, at: datetime | None, level: str, text: str) -> None:
        r = self.report
        shredos = SHREDOS.match(text)
        if shredos:
            r.distribution, r.version = shredos.group(1), shredos.group(2)
            return
        if WRITE_ERROR.search(text):
            dev = DEV_IN_TEXT.search(text)
            if dev:
                self.drive(dev.group(1)).failure_lines.append(text)
                return
        if r.version is None:
            v = VERSION.search(text)
            if v and ("version" in text.lower() or text.lower().startswith("nwipe")):
                r.version = v.group(1)
        for phrase, outcome in OUTCOMES.items():
            if text.startswith(phrase):
                r.outcome = outcome
                return
        m = FOUND.match(text)
        if m:
            self.found(m["dev"], m["rest"])
            return
        m = STARTING.search(text)
        if m:
            d = self.drive(m.group(5))
            d.passes, d.rounds = int(m.group(2)), int(m.group(4))
            d.started_at = d.started_at or at
            return
        m = FINISHED_FINAL.search(text)
        if m:
            d = self.drive(m.group(3))
            d.rounds_completed, d.rounds = int(m.group(1)), int(m.group(2))
            d.ended_at = at
            return
        m = BYTES_WRITTEN.search(text)
        if m:
            d = self.drive(m.group(2))
            d.bytes_written = int(m.group(1))
            return
        m = CANCELLED.search(text)
        if m:
            d = self.drive(m.group(1))
            d.cancelled = True
            d.ended_at = d.ended_at or at
            return
        m = STATUS_DEBUG.search(text)
        if m:
            d = self.drive(m.group(1))
            d.pass_errors, d.verify_errors, d.sync_errors = int(m.group(3)), int(m.group(4)), int(m.group(5))
            if int(m.group(2)) != 0:
                d.failure_lines.append(text)
            return
        m = FAILURE.search(text)
        if m:
            self.drive(m.group(1)).failure_lines.append(text)
            return
        m = PRNG.search(text)
        if m:
            r.prng = r.prng or m.group(1)
            return
        m = METHOD.search(text)
        if m:
            if m.group(2):
                self.drive(m.group(2)).method = m.group(1)
            else:
                r.method = r.method or m.group(1)
            return
        self.hidden_areas(text)

    def found(self, dev: str, rest: str) -> None:
        d = self.drive(dev)
        head, sep, serial = rest.partition("S/N=")
        parts = [p.strip() for p in head.split(",")]
        if parts and parts[-1] == "":
            parts.pop()
        if sep:
            d.serial = serial.strip()
            if d.serial and self.line_length in (TERMINAL_WIDTH, TERMINAL_WIDTH + 1):
                # The line ends exactly at the terminal's width: the serial may be cut there.
                d.serial_truncated = True
                self.warn(f"{dev}: the discovery line ends at column {self.line_length}: serial "
                          f"{d.serial!r} may be cut short; matched only if one drive's serial starts with it")
        else:
            self.warn(f"{dev}: discovery line has no S/N: it was cut")
        if len(parts) >= 3:
            d.bus, d.model, d.size = parts[0] or None, ", ".join(parts[1:-1]) or None, parts[-1] or None
        elif len(parts) == 2:
            d.model, d.size = parts[0] or None, parts[1] or None
        elif parts:
            d.model = parts[0] or None

    def hidden_areas(self, text: str) -> None:
        lowered = text.lower()
        if not ("hpa" in lowered or "dco" in lowered or "host protected area" in lowered
                or "hidden sector" in lowered):
            return
        dev = DEV_IN_TEXT.search(text)
        if not dev:
            return
        d = self.drive(dev.group(1))
        if "[bad]" in lowered or "is enabled" in lowered or "hidden sectors found" in lowered \
                or "hidden sectors not erased" in lowered:
            d.hidden_areas = "present"
        elif "unavailable" in lowered or "[unsure]" in lowered or "can not determine" in lowered \
                or "cannot determine" in lowered:
            if d.hidden_areas != "present":
                d.hidden_areas = "unknown"
        elif "[good]" in lowered or "is disabled" in lowered or "no hidden sectors" in lowered:
            if d.hidden_areas is None:
                d.hidden_areas = "none"

    # -- conclusions

    def finish(self, ended_cleanly: bool) -> NwipeReport:
        r = self.report
        if self.table is not None:
            self.warn(f"the log ends inside the {self.table} table: the log is a fragment")
        if not ended_cleanly:
            self.warn("the log does not end with a newline: its last line may be cut")
        for d in r.drives:
            d.method = d.method or r.method
            d.prng = d.prng or r.prng
            d.verification = d.verification or r.verification
            d.blanking = d.blanking if d.blanking is not None else r.blanking
            if d.rounds is None:
                d.rounds = r.rounds
            d.result = _result(d, r.outcome)
        if not r.drives:
            self.warn("no drive found in the log")
        return r


def _result(d: DriveErasure, outcome: str | None) -> str:
    errors = any((e or 0) > 0 for e in (d.pass_errors, d.verify_errors, d.sync_errors))
    status = STATUS_RESULTS.get((d.status or "").strip())
    if d.status and status is None:
        d.notes.append(f"unknown drive status {d.status!r}")
    if status == "failed" or errors or d.failure_lines:
        return "failed"
    if status == "cancelled" or d.cancelled:
        return "cancelled"
    if status is None:
        if outcome in ("aborted", "aborted_before_start"):
            return "cancelled"
        if d.rounds_completed is not None and d.rounds_completed == d.rounds and outcome == "completed":
            status = "erased"
        else:
            d.notes.append("the log does not show how this drive's wipe ended")
            return "unknown"
    if d.hidden_areas in ("present", "unknown"):
        d.notes.append("visible sectors erased; hidden areas (HPA/DCO) "
                       + ("were found" if d.hidden_areas == "present" else "could not be checked"))
        return "erased_with_warning"
    if d.percent_erased is not None and d.flagged:
        return "erased_with_warning"
    return "erased"


def _logical_lines(text: str) -> list[str]:
    """Join nwipe's wrapped continuation lines (31-space indent) onto the log line they continue."""
    lines: list[str] = []
    for raw in text.splitlines():
        if lines and raw.startswith(CONTINUATION_INDENT) and "|" not in raw and LOG_LINE.match(lines[-1]):
            lines[-1] = lines[-1].rstrip() + " " + raw.strip()
        else:
            lines.append(raw)
    return lines


def parse_nwipe_log(text: str | bytes) -> NwipeReport:
    """Parse an nwipe log (whole or fragment). Never raises on content; see NwipeReport.warnings."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    reader = _Reader()
    for number, line in enumerate(_logical_lines(text), start=1):
        try:
            reader.line(number, line)
        except Exception as exc:  # noqa: BLE001 - garbage in one line must not lose the rest
            reader.warn(f"line {number}: skipped ({type(exc).__name__}: {exc})")
    return reader.finish(ended_cleanly=not text or text.endswith("\n"))
