"""What a certificate says, read from the database: `CertificateData` for a batch or one device.

Built with a fixed number of set-based queries (devices, media, wipe records, verifications,
destructions, people), whatever the batch size: a 10,000-device batch must not lazy-load row by
row. Only the latest wipe of each medium and the latest check of that wipe are printed; earlier
failed attempts stay in the custody log and the records API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from certificates import BatchRef, CertificateData, Client, LooseMedia, MediumLine, Operator, Person, Summary
from itad import downstream
from itad.errors import NotFound
from itad.steps.custody import chain_head
from itad.models import (
    Batch, Destruction, Device, Organization, SanitizationRecord, StorageMedium, User, Verification,
    utcnow,
)

MEDIA_TYPES = {"hdd": "HDD", "ssd": "SSD", "nvme": "NVMe", "flash": "flash", "usb": "flash",
               "mobile": "mobile"}
METHODS = {"clear": "Clear", "purge": "Purge", "destroy": "Destroy"}
# Device states whose units left (or will leave) for resale: NIST "external reuse".
RESALE_STATES = frozenset({"cleared", "in_inventory", "sold"})
# Never on a certificate as a device: the record of a unit that turned out to be a manifest line.
NOT_A_DEVICE = frozenset({"matched"})


@dataclass(frozen=True)
class Issuer:
    """Who the certificate speaks for, and where it can be checked."""

    operator: Operator
    public_base_url: str

    def verify_url(self, number: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/verify/{number}"


def issuer_from(session: Session, config) -> Issuer:
    """The operator organization's row gives location and phone; OPERATOR_NAME names it when no
    operator organization exists yet."""
    org = session.scalars(sa.select(Organization).where(Organization.kind == "operator")
                          .order_by(Organization.id).limit(1)).first()
    name = org.name if org else config.get("OPERATOR_NAME") or "ITAD Operator"
    operator = Operator(name=name, location=(org.location if org else None) or "", phone=(org.phone if org else None) or "")
    return Issuer(operator, config.get("PUBLIC_BASE_URL") or "")


@dataclass
class Rows:
    devices: list
    media: dict[int, list]                # device_id -> media rows
    records: dict[int, object]            # medium_id -> latest wipe record
    checks: dict[int, object]             # record id -> latest verification
    destructions: dict[int, object]       # device_id -> destruction
    people: dict[int, tuple[str, str]]    # user id -> (name, title)


def load_rows(session: Session, device_filter) -> Rows:
    """Every row a certificate's lines need (and the batch export's, itad.batches.export), one query per table:
    the devices `device_filter` selects, their media, each medium's latest wipe and each wipe's latest
    verification, destructions, and the people named."""
    devices = session.execute(
        sa.select(Device.id, Device.serial, Device.asset_tag, Device.manufacturer, Device.model,
                  Device.category, Device.state, Device.manifest_row)
        .where(device_filter).order_by(Device.id)
    ).all()
    in_scope = sa.select(Device.id).where(device_filter).scalar_subquery()
    media: dict[int, list] = {}
    for m in session.execute(
        sa.select(StorageMedium.id, StorageMedium.device_id, StorageMedium.serial, StorageMedium.media_type,
                  StorageMedium.state, StorageMedium.manufacturer, StorageMedium.model, StorageMedium.capacity_bytes)
        .where(StorageMedium.device_id.in_(in_scope)).order_by(StorageMedium.id)
    ):
        media.setdefault(m.device_id, []).append(m)
    records: dict[int, object] = {}
    for r in session.execute(
        sa.select(SanitizationRecord.id, SanitizationRecord.medium_id, SanitizationRecord.effective_method,
                  SanitizationRecord.technique, SanitizationRecord.tool, SanitizationRecord.tool_version,
                  SanitizationRecord.result, SanitizationRecord.hidden_areas, SanitizationRecord.reasons,
                  SanitizationRecord.decision, SanitizationRecord.operator_id,
                  SanitizationRecord.operator_label, SanitizationRecord.finished_at,
                  SanitizationRecord.created_at, SanitizationRecord.verification_required,
                  SanitizationRecord.passes)
        .where(SanitizationRecord.device_id.in_(in_scope))
        .order_by(SanitizationRecord.medium_id, SanitizationRecord.attempt)
    ):
        records[r.medium_id] = r  # ordered by attempt: the last one wins
    checks: dict[int, object] = {}
    for v in session.execute(
        sa.select(Verification.sanitization_record_id, Verification.verifier_label, Verification.result,
                  Verification.mode, Verification.created_at)
        .where(Verification.device_id.in_(in_scope)).order_by(Verification.id)
    ):
        checks[v.sanitization_record_id] = v
    destructions = {d.device_id: d for d in session.execute(
        sa.select(Destruction.device_id, Destruction.technique, Destruction.witness, Destruction.destroyed_at,
                  Destruction.notes, Destruction.performed_by_id, Destruction.performed_by_label)
        .where(Destruction.device_id.in_(in_scope))
    )}
    ids = {r.operator_id for r in records.values()} | {d.performed_by_id for d in destructions.values()}
    people = {u.id: (u.name, u.title or "") for u in session.execute(
        sa.select(User.id, User.name, User.title).where(User.id.in_(ids)))} if ids else {}
    return Rows(list(devices), media, records, checks, destructions, people)


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _destination(state: str) -> str:
    if state == "destroyed":
        return "destruction"
    if state in RESALE_STATES:
        return "external reuse"
    return "recycling"


def _outcome(state: str) -> str:
    if state == "destroyed":
        return "destroyed"
    if state in RESALE_STATES:
        return "sanitized"
    return state


def _lines_for(device, rows: Rows, operator_name: str, batch: Batch) -> list[MediumLine]:
    """One line per medium (NIST SP 800-88 Rev. 2); one 'none' line for a unit without media."""
    outcome = _outcome(device.state)
    # Before: what the client stated. After: a sanitized or destroyed medium holds none of that data any more;
    # any other keeps what it held.
    before = batch.confidentiality or "not stated"
    common = dict(device_serial=device.serial, asset_tag=device.asset_tag or "",
                  make=device.manufacturer or "", model=device.model or "", category=device.category or "",
                  destination=_destination(device.state), outcome=outcome, classification=before,
                  post_classification="low" if outcome in ("sanitized", "destroyed") else before,
                  data_backed_up=batch.data_backed_up)
    destruction = rows.destructions.get(device.id)
    media = rows.media.get(device.id, [])
    if not media:
        if destruction is not None:
            name, title = rows.people.get(destruction.performed_by_id, (destruction.performed_by_label, ""))
            return [MediumLine(**common, media_type="none", medium_serial="", method_type="Destroy",
                               technique=_words(destruction.technique), tool="", tool_version="",
                               verification="full" if destruction.witness else "none",
                               verified_by=destruction.witness or "", performed_by=name,
                               performed_by_title=title or "Technician", performed_at=destruction.destroyed_at,
                               notes=destruction.notes or "")]
        return [MediumLine(**common, media_type="none", medium_serial="", method_type=None, technique="",
                           tool="", tool_version="", verification="none", verified_by="", performed_by="",
                           performed_by_title="", performed_at=None,
                           notes="no data-bearing medium")]
    lines = []
    for m in media:
        record = rows.records.get(m.id)
        passes, hidden, verified_at = None, "", None
        media_type = MEDIA_TYPES.get((m.media_type or "").lower(), "unknown")
        notes: list[str] = []
        if destruction is not None:
            # Physical destruction is the method that counts, whatever was tried before.
            name, title = rows.people.get(destruction.performed_by_id, (destruction.performed_by_label, ""))
            method, technique, tool, version = "Destroy", _words(destruction.technique), "", ""
            verification = "full" if destruction.witness else "none"
            verified_by = destruction.witness or ""
            performed_at = destruction.destroyed_at
            if destruction.notes:
                notes.append(destruction.notes)
            if record is not None:
                notes.append(f"earlier {_words(record.technique)} ({_words(record.result)})")
        elif record is not None:
            name, title = rows.people.get(record.operator_id, (record.operator_label, ""))
            method = METHODS.get(record.effective_method, "Clear")
            technique, tool, version = _words(record.technique), record.tool or "", record.tool_version or ""
            passes, hidden = record.passes, record.hidden_areas or ""
            check = rows.checks.get(record.id)
            if check is not None and check.result == "passed":
                verification, verified_by = ("full" if check.mode == "full" else "sampled"), check.verifier_label
                verified_at = check.created_at
            elif not record.verification_required:
                verification, verified_by = "sampled", ""
                notes.append("not drawn in the verification sample")
            else:
                verification, verified_by = "none", ""
            performed_at = record.finished_at or record.created_at
            if record.decision == "downgraded":
                notes.append("method downgraded: " + "; ".join(record.reasons or []))
            if record.result == "erased_with_warning":
                notes.append("erased with warning")     # the hidden areas are in the technique
        else:
            # A medium with no wipe on a closed batch: only a missing or non-final unit gets here.
            name, title, method, technique, tool, version = "", "", None, "", "", ""
            verification, verified_by, performed_at = "none", "", None
            # MediumLine insists on a method for a real medium; say plainly that there was none.
            notes.append(f"{media_type} medium not sanitized")
            media_type = "none"
        lines.append(MediumLine(**common, media_type=media_type, medium_serial=m.serial or "",
                                medium_make=m.manufacturer or "", medium_model=m.model or "",
                                capacity_bytes=m.capacity_bytes, passes=passes, hidden_areas=hidden,
                                verified_at=verified_at,
                                method_type=method, technique=technique, tool=tool, tool_version=version,
                                verification=verification, verified_by=verified_by, performed_by=name,
                                performed_by_title=title or "Technician", performed_at=performed_at,
                                notes="; ".join(notes)))
    return lines


def _summary(devices: list) -> Summary:
    listed = [d for d in devices if d.state not in NOT_A_DEVICE]
    missing = [d.serial for d in listed if d.state == "missing"]
    unexpected = [d.serial for d in listed if d.manifest_row is None]
    sanitized = sum(1 for d in listed if d.state in RESALE_STATES)
    destroyed = sum(1 for d in listed if d.state == "destroyed")
    return Summary(sanitized=sanitized, destroyed=destroyed, missing=len(missing),
                   unexpected=len(unexpected), total=len(listed),
                   failed=len(listed) - sanitized - destroyed - len(missing),
                   missing_serials=tuple(missing), unexpected_serials=tuple(unexpected))


def _people(rows: Rows, lines: list[MediumLine], issued_by: User | None, operator_name: str) -> tuple[Person, Person]:
    """Performer: the technician with the most media on the certificate. Validator: the person who verified
    the most of them (the four-eyes check); when no wipe was verified, who issues the certificate, as the
    signatory, not as a verifier."""
    performer = _most(lines, lambda l: (l.performed_by, l.performed_by_title or "Technician"))
    if performer is None:
        performer = (issued_by.name, issued_by.title or "Technician") if issued_by else ("n/a", "Technician")
    validator = _most(lines, lambda l: (l.verified_by, "Verifier") if l.verification != "none" else ("", ""))
    if validator is None:
        validator = (issued_by.name if issued_by else operator_name,
                     (issued_by.title if issued_by else None) or "Authorized signatory (no verification recorded)")
    return Person(performer[0] or "n/a", performer[1], operator_name), Person(validator[0], validator[1], operator_name)


def _most(lines: list[MediumLine], who) -> tuple[str, str] | None:
    """The (name, title) that most lines name, with how many others there are; None when none names one."""
    counts: dict[tuple[str, str], int] = {}
    for line in lines:
        key = who(line)
        if key[0]:
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None
    name, title = max(counts.items(), key=lambda kv: kv[1])[0]
    return (f"{name} and {len(counts) - 1} other(s), per line" if len(counts) > 1 else name), title


def _head(session: Session, batch_id: int) -> tuple[int, str]:
    """The chain head the certificate covers: the last event before its own 'certificate_issued'."""
    head = chain_head(session, batch_id)
    return head.seq, head.hash


def _batch_ref(batch: Batch) -> BatchRef:
    return BatchRef(id=str(batch.id), reference=batch.reference,
                    confidentiality=batch.confidentiality or "not stated", data_backed_up=batch.data_backed_up)


def _batch(session: Session, batch_id: int) -> tuple[Batch, str]:
    row = session.execute(sa.select(Batch, Organization.name).join(Organization, Organization.id == Batch.organization_id)
                          .where(Batch.id == batch_id)).first()
    if row is None:
        raise NotFound(f"No batch with id {batch_id}.")
    return row[0], row[1]


def certificate_data_for_batch(session: Session, batch_id: int, number: str, issuer: Issuer, *,
                               issued_at: datetime | None = None, supersedes: str | None = None,
                               issued_by: User | None = None) -> CertificateData:
    batch, client_name = _batch(session, batch_id)
    rows = load_rows(session, Device.batch_id == batch_id)
    lines = [line for d in rows.devices if d.state not in NOT_A_DEVICE and d.state != "missing"
             for line in _lines_for(d, rows, issuer.operator.name, batch)]
    performer, validator = _people(rows, lines, issued_by, issuer.operator.name)
    return CertificateData(
        number=number, kind="batch", issued_at=issued_at or utcnow(), operator=issuer.operator,
        client=Client(client_name), batch=_batch_ref(batch),
        verify_url=issuer.verify_url(number), summary=_summary(rows.devices), performer=performer,
        validator=validator, lines=tuple(lines), supersedes=supersedes, custody_head=_head(session, batch.id),
        loose_media=_loose_media(session, batch.id),
    )


def _loose_media(session: Session, batch_id: int) -> tuple[LooseMedia, ...]:
    """The batch's loose drives and tapes (downstream lots), as their pieces were accounted."""
    return tuple(
        LooseMedia(kind=x.lot.category.replace("_", " "), counted_at_site=x.lot.declared_count,
                   counted_at_dock=x.lot.received_count,
                   wiped=tuple((_words(t), n) for t, n in x.pieces.wiped.items()),
                   destroyed=tuple((_words(t), n) for t, n in x.pieces.destroyed.items()),
                   missing=x.pieces.missing, missing_reasons=x.pieces.reasons, unaccounted=x.unaccounted)
        for x in downstream.reconcile_lots(session, batch_id) if x.pieces is not None)


def certificate_data_for_device(session: Session, device_id: int, number: str, issuer: Issuer, *,
                                issued_at: datetime | None = None, supersedes: str | None = None,
                                issued_by: User | None = None) -> CertificateData:
    batch_id = session.scalar(sa.select(Device.batch_id).where(Device.id == device_id))
    if batch_id is None:
        raise NotFound(f"No device with id {device_id}.")
    (data,) = certificate_data_for_devices(session, batch_id, {device_id: (number, supersedes)}, issuer,
                                           issued_at=issued_at, issued_by=issued_by)
    return data


def certificate_data_for_devices(session: Session, batch_id: int, numbers: dict[int, tuple[str, str | None]],
                                 issuer: Issuer, *, issued_at: datetime | None = None,
                                 issued_by: User | None = None) -> list[CertificateData]:
    """One device certificate's content per device of `numbers` ({device_id: (number, supersedes)}), all of one
    batch, read in the same few queries whatever their count; in device id order."""
    batch, client_name = _batch(session, batch_id)
    rows = load_rows(session, Device.id.in_(list(numbers)))
    head = _head(session, batch_id)
    datas = []
    for device in rows.devices:
        number, supersedes = numbers[device.id]
        lines = _lines_for(device, rows, issuer.operator.name, batch)
        performer, validator = _people(rows, lines, issued_by, issuer.operator.name)
        datas.append(CertificateData(
            number=number, kind="device", issued_at=issued_at or utcnow(), operator=issuer.operator,
            client=Client(client_name), batch=_batch_ref(batch),
            verify_url=issuer.verify_url(number), summary=_summary([device]), performer=performer,
            validator=validator, lines=tuple(lines), supersedes=supersedes, custody_head=head,
        ))
    return datas
