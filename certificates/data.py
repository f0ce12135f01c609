"""What a certificate of sanitization says, independent of how it is drawn.

The fields follow NIST SP 800-88 Rev. 1 Appendix G (sample certificate) and
Rev. 2, which asks for one record per storage medium: a laptop with two
drives gives two `MediumLine`s; a device that carries no data gives one line
with media type "none".

Everything is frozen: a certificate, once issued, is re-issued (superseded),
never edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Kind = Literal["batch", "device"]
# "unknown": a medium whose type nobody recorded; printed as such rather than guessed.
MediaType = Literal["HDD", "SSD", "NVMe", "flash", "mobile", "unknown", "none"]
MethodType = Literal["Clear", "Purge", "Destroy"]
Verification = Literal["full", "sampled", "none"]
Destination = Literal[
    "internal reuse", "external reuse", "recycling", "manufacturer", "destruction"
]

KINDS = ("batch", "device")
MEDIA_TYPES = ("HDD", "SSD", "NVMe", "flash", "mobile", "unknown", "none")
METHOD_TYPES = ("Clear", "Purge", "Destroy")
VERIFICATIONS = ("full", "sampled", "none")
DESTINATIONS = (
    "internal reuse", "external reuse", "recycling", "manufacturer", "destruction"
)

SCHEMA = "itad.certificate-of-sanitization/1"


class CertificateDataError(ValueError):
    """The data cannot make a truthful certificate; the message says which
    field and what would be accepted."""


def _require(value: object, allowed: tuple, where: str) -> None:
    if value not in allowed:
        raise CertificateDataError(
            f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}"
        )


@dataclass(frozen=True)
class Operator:
    """The ITAD company that performed the work (NIST: organization, location, phone)."""

    name: str
    location: str
    phone: str


@dataclass(frozen=True)
class Client:
    name: str


@dataclass(frozen=True)
class BatchRef:
    """The source of the media: the client's batch (NIST: 'media source')."""

    id: str
    reference: str
    # What the client stated of the data (NIST SP 800-88 App. G), for every medium of the batch.
    confidentiality: str = "not stated"      # before sanitization: low, moderate, high (FIPS 199)
    data_backed_up: bool | None = None       # None: not stated

    def backed_up(self) -> str:
        return {True: "yes", False: "no"}.get(self.data_backed_up, "not stated")


@dataclass(frozen=True)
class Person:
    """Who performed or validated the sanitization (NIST asks name, title, organization)."""

    name: str
    title: str
    organization: str


@dataclass(frozen=True)
class Summary:
    """Counts of devices by outcome. Missing and unexpected devices are listed
    by serial so the client can reconcile them without opening the JSON."""

    sanitized: int
    destroyed: int
    missing: int
    unexpected: int
    total: int
    failed: int = 0
    missing_serials: tuple[str, ...] = ()
    unexpected_serials: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "missing_serials", tuple(self.missing_serials))
        object.__setattr__(self, "unexpected_serials", tuple(self.unexpected_serials))


@dataclass(frozen=True)
class MediumLine:
    """One storage medium of one device and what was done to it."""

    device_serial: str
    asset_tag: str
    make: str
    model: str
    category: str
    media_type: MediaType
    medium_serial: str
    method_type: MethodType | None
    technique: str
    tool: str
    tool_version: str
    verification: Verification
    verified_by: str
    performed_by: str
    performed_by_title: str
    performed_at: datetime | None
    destination: Destination
    outcome: str
    notes: str = ""
    # NIST fields that most ITAD work leaves at their defaults.
    classification: str = "unclassified"
    post_classification: str = "unclassified"
    data_backed_up: bool | None = None
    # The drive itself, as the list, the bench or a report gave it ("" / None: not known).
    medium_make: str = ""
    medium_model: str = ""
    capacity_bytes: int | None = None
    passes: int | None = None           # overwrite passes the tool reported
    hidden_areas: str = ""              # HPA/DCO as the tool saw them (none, removed, present, unknown)
    verified_at: datetime | None = None

    def how(self) -> str:
        """The technique with what the tool said of it: "overwrite · 3 passes · hidden areas removed"."""
        passes = f"{self.passes} pass{'es' if self.passes != 1 else ''}" if self.passes is not None else ""
        hidden = f"hidden areas {self.hidden_areas.replace('_', ' ')}" if self.hidden_areas else ""
        return " · ".join(p for p in (self.technique, passes, hidden) if p)

    def checked(self) -> str:
        """The verification, by whom and when: "sampled · Dana Kim · 2025-03-04"."""
        if self.verification == "none":
            return "none"
        when = self.verified_at.strftime("%Y-%m-%d") if self.verified_at else ""
        return " · ".join(p for p in (self.verification, self.verified_by, when) if p)

    def drive(self) -> str:
        """The drive as one value: serial, make and model, capacity (what is known of them)."""
        made = f"{self.medium_make} {self.medium_model}".strip()
        return " · ".join(p for p in (self.medium_serial, made, capacity_text(self.capacity_bytes)) if p)

    def __post_init__(self) -> None:
        where = f"line for device {self.device_serial!r}"
        _require(self.media_type, MEDIA_TYPES, f"{where}: media_type")
        if self.method_type is not None:
            _require(self.method_type, METHOD_TYPES, f"{where}: method_type")
        elif self.media_type != "none":
            raise CertificateDataError(
                f"{where}: method_type is required for a {self.media_type} medium"
            )
        _require(self.verification, VERIFICATIONS, f"{where}: verification")
        _require(self.destination, DESTINATIONS, f"{where}: destination")
        if not self.outcome:
            raise CertificateDataError(f"{where}: outcome is empty")


@dataclass(frozen=True)
class LooseMedia:
    """Drives or tapes the client handed over loose, counted rather than identified by serial: there is no record
    per piece, so the certificate says what the count shows, by technique, and never turns an unaccounted piece into
    a sanitized one. Techniques are the words to print ("overwrite", "shred")."""
    kind: str                                    # "loose drives", "tapes"
    counted_at_site: int | None
    counted_at_dock: int | None
    wiped: tuple[tuple[str, int], ...] = ()      # (technique, pieces)
    destroyed: tuple[tuple[str, int], ...] = ()
    missing: int = 0
    missing_reasons: tuple[str, ...] = ()
    unaccounted: int = 0                         # counted, and neither wiped, destroyed nor reported missing

    def __post_init__(self) -> None:
        counts = [n for _, n in self.wiped + self.destroyed] + [self.missing, self.unaccounted]
        counts += [n for n in (self.counted_at_site, self.counted_at_dock) if n is not None]
        if any(n < 0 for n in counts):
            raise CertificateDataError(f"loose media {self.kind!r}: a count is negative")
        if self.missing and not self.missing_reasons:
            raise CertificateDataError(f"loose media {self.kind!r}: pieces reported missing without a reason")


@dataclass(frozen=True)
class CertificateData:
    number: str
    kind: Kind
    issued_at: datetime
    operator: Operator
    client: Client
    batch: BatchRef
    verify_url: str
    summary: Summary
    performer: Person
    validator: Person
    lines: tuple[MediumLine, ...] = field(default_factory=tuple)
    supersedes: str | None = None
    # The batch's custody chain head when the certificate was issued (seq, hash): the events it covers, which
    # any later cut or edit would no longer end in (docs/custody-chain.md).
    custody_head: tuple[int, str] | None = None
    loose_media: tuple[LooseMedia, ...] = ()     # a batch certificate's counted drives and tapes

    def __post_init__(self) -> None:
        _require(self.kind, KINDS, f"certificate {self.number!r}: kind")
        if not self.number:
            raise CertificateDataError("certificate number is empty")
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "loose_media", tuple(self.loose_media))


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(p: Person) -> dict:
    return {"name": p.name, "title": p.title, "organization": p.organization}


def capacity_text(size: int | None) -> str:
    """Bytes as a drive's label says them: decimal units, as the trade does ("512 GB", "1.92 TB")."""
    if not size:
        return ""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"


def line_to_json(line: MediumLine) -> dict:
    return {
        "device_serial": line.device_serial,
        "asset_tag": line.asset_tag,
        "make": line.make,
        "model": line.model,
        "category": line.category,
        "media_type": line.media_type,
        "medium_serial": line.medium_serial,
        "medium_make": line.medium_make,
        "medium_model": line.medium_model,
        "capacity_bytes": line.capacity_bytes,
        "classification": line.classification,
        "data_backed_up": line.data_backed_up,
        "method_type": line.method_type,
        "technique": line.technique,
        "tool": line.tool,
        "tool_version": line.tool_version,
        "verification": line.verification,
        "verified_by": line.verified_by,
        "verified_at": _dt(line.verified_at),
        "passes": line.passes,
        "hidden_areas": line.hidden_areas or None,
        "performed_by": {"name": line.performed_by, "title": line.performed_by_title},
        "performed_at": _dt(line.performed_at),
        "post_classification": line.post_classification,
        "destination": line.destination,
        "outcome": line.outcome,
        "notes": line.notes,
    }


def to_json(data: CertificateData) -> dict:
    """The machine-readable certificate: the same content as the PDF, keys in
    a fixed order so two issues of the same data serialise identically."""
    s = data.summary
    return {
        "schema": SCHEMA,
        "number": data.number,
        "kind": data.kind,
        "issued_at": _dt(data.issued_at),
        "supersedes": data.supersedes,
        "custody_head": ({"seq": data.custody_head[0], "hash": data.custody_head[1]} if data.custody_head else None),
        "verify_url": data.verify_url,
        "operator": {
            "name": data.operator.name,
            "location": data.operator.location,
            "phone": data.operator.phone,
        },
        "client": {"name": data.client.name},
        "batch": {"id": data.batch.id, "reference": data.batch.reference,
                  "confidentiality": data.batch.confidentiality, "data_backed_up": data.batch.data_backed_up},
        "summary": {
            "total": s.total,
            "sanitized": s.sanitized,
            "destroyed": s.destroyed,
            "failed": s.failed,
            "missing": s.missing,
            "unexpected": s.unexpected,
            "missing_serials": list(s.missing_serials),
            "unexpected_serials": list(s.unexpected_serials),
        },
        "performer": _person(data.performer),
        "validator": _person(data.validator),
        "lines": [line_to_json(line) for line in data.lines],
        "loose_media": [{"kind": m.kind, "counted_at_site": m.counted_at_site, "counted_at_dock": m.counted_at_dock,
                         "wiped": [{"technique": t, "pieces": n} for t, n in m.wiped],
                         "destroyed": [{"technique": t, "pieces": n} for t, n in m.destroyed],
                         "missing": m.missing, "missing_reasons": list(m.missing_reasons),
                         "unaccounted": m.unaccounted} for m in data.loose_media],
    }
