"""Specimen certificates: realistic synthetic data for demos, tests and the
benchmark. Deterministic for a given size and seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from .data import (
    BatchRef, CertificateData, Client, MediumLine, Operator, Person, Summary,
)

_MODELS = [
    ("Dell", "Latitude 5420", "laptop"), ("Lenovo", "ThinkPad T14 Gen 2", "laptop"),
    ("HP", "EliteBook 840 G8", "laptop"), ("Dell", "OptiPlex 7090", "desktop"),
    ("HPE", "ProLiant DL360 Gen10", "server"), ("Apple", "iPhone 12", "phone"),
]
_TOOLS = [("Blancco Drive Eraser", "7.9.1"), ("nwipe", "0.36"), ("hdparm", "9.65")]
OPERATOR = Operator("GreenCycle ITAD Ltd", "Unit 4, Riverside Park, Leeds LS10 1AB, UK", "+44 113 496 0000")
PERFORMER = Person("Alex Morgan", "Sanitization Technician", OPERATOR.name)
VALIDATOR = Person("Sam Patel", "Quality Lead", OPERATOR.name)
TECHNICIANS = ["Alex Morgan", "Jo Lee", "Chris Adeyemi", "Robin Novak"]
VERIFIERS = ["Sam Patel", "Dana Kim"]


def _media(rng: random.Random, category: str) -> list[tuple[str, str, str, str]]:
    """(media type, method type, technique, destination) per medium."""
    if category == "phone":
        return [("mobile", "Purge", "crypto erase", "external reuse")]
    if category == "server":
        return [("HDD", "Purge", "overwrite", "external reuse"),
                ("HDD", "Destroy", "shred", "destruction")]
    first = rng.choice([("SSD", "Purge", "crypto erase", "external reuse"),
                        ("NVMe", "Purge", "block erase", "external reuse"),
                        ("HDD", "Clear", "overwrite", "internal reuse")])
    if rng.random() < 0.4:
        return [first, ("HDD", "Destroy", "shred", "recycling")]
    return [first]


def specimen_lines(devices: int, seed: int = 7, start: datetime | None = None) -> list[MediumLine]:
    rng = random.Random(seed)
    start = start or datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)
    lines = []
    for i in range(devices):
        make, model, category = rng.choice(_MODELS)
        serial = f"{make[:2].upper()}{rng.randrange(16**8):08X}"
        for j, (media, method, technique, dest) in enumerate(_media(rng, category)):
            tool, version = ("Shredder", "SSI 2400") if method == "Destroy" else rng.choice(_TOOLS)
            outcome = "destroyed" if method == "Destroy" else "sanitized"
            lines.append(MediumLine(
                device_serial=serial,
                asset_tag=f"AT-{100000 + i}",
                make=make, model=model, category=category,
                media_type=media,
                medium_serial=f"{media[:1]}{rng.randrange(16**10):010X}",
                method_type=method, technique=technique,
                tool=tool, tool_version=version,
                verification="full" if method != "Purge" or rng.random() < 0.3 else "sampled",
                verified_by=rng.choice(VERIFIERS),
                performed_by=rng.choice(TECHNICIANS),
                performed_by_title="Technician",
                performed_at=start + timedelta(minutes=3 * i + j),
                destination=dest,
                outcome=outcome,
                notes="HPA removed before wipe" if rng.random() < 0.02 else "",
            ))
    return lines


def specimen_batch(devices: int = 20, seed: int = 7, number: str = "COS-2025-000123",
                   missing: int = 2, unexpected: int = 1) -> CertificateData:
    lines = specimen_lines(devices, seed)
    destroyed = len({l.device_serial for l in lines if l.outcome == "destroyed"})
    return CertificateData(
        number=number,
        kind="batch",
        issued_at=datetime(2025, 3, 14, 16, 30, tzinfo=timezone.utc),
        operator=OPERATOR,
        client=Client("Northwind Bank plc"),
        batch=BatchRef(id="1042", reference="NWB-2025-Q1-LAPTOPS"),
        verify_url=f"https://itad.example.com/verify/{number}",
        summary=Summary(
            sanitized=devices - destroyed, destroyed=destroyed, missing=missing,
            unexpected=unexpected, total=devices + missing + unexpected,
            missing_serials=tuple(f"MISS{k:05d}" for k in range(missing)),
            unexpected_serials=tuple(f"UNEX{k:05d}" for k in range(unexpected)),
        ),
        performer=PERFORMER,
        validator=VALIDATOR,
        lines=lines,
    )


def specimen_devices(count: int, seed: int = 11) -> list[CertificateData]:
    """One device certificate per device of a specimen batch."""
    batch = specimen_batch(count, seed, missing=0, unexpected=0)
    by_device: dict[str, list[MediumLine]] = {}
    for line in batch.lines:
        by_device.setdefault(line.device_serial, []).append(line)
    out = []
    for k, (serial, lines) in enumerate(by_device.items()):
        number = f"COS-2025-D{k:06d}"
        destroyed = all(l.outcome == "destroyed" for l in lines)
        out.append(CertificateData(
            number=number, kind="device", issued_at=batch.issued_at,
            operator=batch.operator, client=batch.client, batch=batch.batch,
            verify_url=f"https://itad.example.com/verify/{number}",
            summary=Summary(sanitized=0 if destroyed else 1, destroyed=int(destroyed),
                            missing=0, unexpected=0, total=1),
            performer=batch.performer, validator=batch.validator, lines=lines,
        ))
    return out
