"""A batch's final disposition as a spreadsheet for the client's asset system: one row per drive (a
device without drives has one row), with the device's outcome, the last wipe of each drive and its
verification, grade, destruction, sale and the certificate that covers it.

Read in a fixed number of queries whatever the batch's size. A record matched to its asset-list line is
left out: it is that line's unit, counted once, as the certificate counts it. Times are UTC.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import spreadsheets
from itad.certification.content import Rows, load_rows
from itad.models import Batch, Certificate, CustodyEvent, Device, DeviceGrading, Sale
from itad.words import word

COLUMNS = (
    "Batch", "Asset-list row", "Serial", "Asset tag", "Make", "Model", "Category", "Outcome", "Received (UTC)",
    "Drive serial", "Drive type", "Drive capacity (bytes)", "Drive state", "Wipe method", "Wipe technique",
    "Tool", "Tool version", "Wipe result", "Wiped (UTC)", "Wiped by", "Verification", "Verified by",
    "Verified (UTC)", "Grade", "Destroyed (UTC)", "Destruction technique", "Sold on", "Certificate",
    "Certificate issued (UTC)", "Certificate status",
)
RECEIVING_ACTIONS = ("receive", "found_unexpected", "accept")


@dataclass
class _Facts:
    rows: Rows                                      # devices, drives, last wipes, verifications, destructions
    grades: dict[int, DeviceGrading]
    sales: dict[int, Sale]
    received: dict[int, datetime]
    batch_certificate: Certificate | None
    device_certificates: dict[int, Certificate]


def rows(session: Session, batch: Batch) -> Iterator[list[Any]]:
    """The header, then a row per drive (or per driveless device), in device order."""
    yield list(COLUMNS)
    facts = _read(session, batch)
    for device in facts.rows.devices:
        common = _device_cells(batch, device, facts)
        drives = facts.rows.media.get(device.id) or [None]
        for medium in drives:
            yield common[:9] + _drive_cells(medium, facts) + common[9:]


def _by(rows, key) -> dict:
    return {key(r): r for r in rows}


def _read(session: Session, batch: Batch) -> _Facts:
    # What the certificate reads, as plain rows (a 5,000-line batch in a fraction of ORM objects' time),
    # then what only the export prints.
    loaded = load_rows(session, sa.and_(Device.batch_id == batch.id, Device.state != "matched"))
    in_batch = sa.select(Device.id).where(Device.batch_id == batch.id)
    received = dict(session.execute(
        sa.select(CustodyEvent.device_id, sa.func.min(CustodyEvent.created_at))
        .where(CustodyEvent.batch_id == batch.id, CustodyEvent.action.in_(RECEIVING_ACTIONS))
        .group_by(CustodyEvent.device_id)).all())
    certificates = session.scalars(sa.select(Certificate).where(Certificate.batch_id == batch.id)
                                   .order_by(Certificate.id)).all()
    # The certificate that covers a unit now: its own if it has one, else the batch's; the one in force,
    # else the latest (a revoked one says so in its status column).
    batch_certs = [c for c in certificates if c.kind == "batch"]
    in_force = [c for c in batch_certs if c.status == "issued"]
    device_certs: dict[int, Certificate] = {}
    for c in certificates:
        if c.kind == "device" and (c.device_id not in device_certs or c.status == "issued"):
            device_certs[c.device_id] = c
    return _Facts(
        loaded,
        # In id order, so a unit returned and graded or sold again shows its latest.
        _by(session.scalars(sa.select(DeviceGrading).where(DeviceGrading.device_id.in_(in_batch))
                            .order_by(DeviceGrading.id)), lambda g: g.device_id),
        _by(session.scalars(sa.select(Sale).where(Sale.batch_id == batch.id).order_by(Sale.id)), lambda s: s.device_id),
        received, (in_force or batch_certs or [None])[-1], device_certs)


def _device_cells(batch: Batch, d, f: _Facts) -> list[Any]:
    grading, destruction, sale = f.grades.get(d.id), f.rows.destructions.get(d.id), f.sales.get(d.id)
    cert = f.device_certificates.get(d.id) or (f.batch_certificate if d.state != "registered" else None)
    return [batch.reference, d.manifest_row, d.serial, d.asset_tag, d.manufacturer, d.model, d.category,
            word(d.state, "state"), _when(f.received.get(d.id)),
            grading.grade if grading else None,
            _when(destruction.destroyed_at) if destruction else None,
            word(destruction.technique, "technique") if destruction else None,
            sale.sold_on.isoformat() if sale else None,
            cert.number if cert else None, _when(cert.issued_at) if cert else None,
            word(cert.status, "certificate") if cert else None]


def _drive_cells(m, f: _Facts) -> list[Any]:
    if m is None:
        return [None] * 14
    wipe = f.rows.records.get(m.id)
    check = f.rows.checks.get(wipe.id) if wipe else None
    if wipe is None:
        wiped = [None] * 7
    else:
        wiped = [word(wipe.effective_method, "method"), word(wipe.technique, "technique"), wipe.tool,
                 wipe.tool_version, word(wipe.result, "result"), _when(wipe.finished_at or wipe.created_at),
                 wipe.operator_label]
    if check is not None:
        verified = [check.result, check.verifier_label, _when(check.created_at)]
    else:
        verified = ["not sampled by the policy" if wipe and not wipe.verification_required else None, None, None]
    return [m.serial, word(m.media_type, "media_type"), m.capacity_bytes, word(m.state, "medium")] + wiped + verified


def _when(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def as_csv(session: Session, batch: Batch) -> str:
    out = io.StringIO()
    spreadsheets.writer(out).writerows(rows(session, batch))
    return out.getvalue()


def as_xlsx(session: Session, batch: Batch) -> bytes:
    """The same rows as a workbook. Text is written as text, never as a formula (openpyxl would store a
    value starting with "=" as one)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    # A sheet's name is at most 31 characters, none of \ / * ? : [ ].
    sheet = book.create_sheet(re.sub(r"[\\/*?:\[\]]", "-", batch.reference)[:31] or "Batch")
    for row in rows(session, batch):
        sheet.append([_text(sheet, v) if isinstance(v, str) and v.startswith("=") else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(sheet, value: str):
    """A cell that holds `value` as text: openpyxl takes a plain string starting with "=" for a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
