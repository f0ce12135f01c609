"""Registering a batch from a client's asset list: the database side of intake.

The parser (itad.intake.manifest) turns bytes into checked rows and problems; this module adds
what only the database knows (a serial already sitting in another open batch of the same
client), then writes the batch, its devices, their storage media and one custody event.

Speed and memory: rows stream from the parser in chunks into itad.intake.loading (on PostgreSQL a
COPY from a second thread, so the database works while the file is still being read; elsewhere
one executemany per chunk). No ORM object per row. The one check only the database can make (a
serial already in another open batch of the client) runs once, set-based, over the rows written.

Atomic: everything happens in the caller's transaction, and any problem raises after the whole
list was read (so the client gets every problem at once); the caller rolls back and nothing
is left behind. Nothing here commits: the request or the job is the unit of work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from itad.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from itad import notifications
from itad.steps import custody
from workflows.custody import GENESIS
from itad.intake.errors import ManifestError, NoSerialColumn, TooBig, TooManyRows
from itad.intake.loading import loader_for
from itad.intake.manifest import Problem, read_manifest
from itad.models import Batch, BatchStatus, CustodyEvent, Device, Organization, StorageMedium, User, utcnow

CHUNK_ROWS = 5_000
# Per-row results in the answer for lists up to this size; longer ones link to the device list.
MAX_ROW_RESULTS = 1_000

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Registration:
    batch: Batch
    created: bool  # False: the same file was registered before, this is that batch
    rows: int
    media: int
    columns: dict | None = None  # where each column of the file went (None when not re-read)


# -- who registers for whom -------------------------------------------------------------------

def target_organization(session: Session, user: User, organization_id: int | None) -> Organization:
    """The client a batch is registered for.

    Client users register for their own organization only; naming another one is refused
    (403), not silently ignored, so a script with a wrong id fails loudly. Operator admins
    register on behalf of a client and must say which.
    """
    if not user.is_operator:
        if organization_id not in (None, user.organization_id):
            raise Forbidden("A client user can register batches only for their own organization.",
                            code="wrong_organization")
        return user.organization
    if user.role != "admin":
        raise Forbidden("Only a client user or an operator admin can register a batch.",
                        details={"required": ["client", "admin"], "role": user.role})
    if organization_id is None:
        raise Invalid("Say which client the batch is for: organization_id.", code="organization_required")
    org = session.get(Organization, organization_id)
    if org is None or org.is_operator:
        raise NotFound(f"No client organization with id {organization_id}.")
    return org


# -- the registration itself ------------------------------------------------------------------

def require_reference(reference: str | None) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise Invalid("Give the client's reference for the batch (a PO or ticket number).",
                      code="reference_required")
    return reference


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_registered(session: Session, organization_id: int, sha256: str) -> Batch | None:
    return session.scalar(
        sa.select(Batch).where(Batch.organization_id == organization_id, Batch.source_sha256 == sha256)
    )


def rows_as_json_file(rows: list[dict]) -> bytes:
    """JSON rows from the API as the bytes of a JSON asset list: the parser reads them like any
    file, and the same rows sent twice hash the same (idempotent like a file upload)."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def register_batch(
    session: Session,
    *,
    organization: Organization,
    actor: User | None,
    reference: str,
    data: bytes,
    filename: str | None,
    max_rows: int,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    confidentiality: str | None = None,
    data_backed_up: bool | None = None,
) -> Registration:
    """Register the asset list ``data`` as a new open batch of ``organization``.

    Returns the batch already registered from the same bytes for this client, if there is one.
    Raises Invalid (every problem, nothing written), TooLarge (rows or bytes over the limit).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(f"The file is larger than the limit of {max_bytes} bytes.",
                       details={"limit_bytes": max_bytes, "bytes": len(data)})
    reference = require_reference(reference)
    sha256 = sha256_of(data)
    existing = find_registered(session, organization.id, sha256)
    if existing is not None:
        return Registration(existing, False, existing.device_count, _media_count(session, existing.id))

    try:
        manifest = read_manifest(data, max_rows=max_rows, chunk_size=chunk_rows)
    except ManifestError as exc:
        raise refusal(exc)

    now = utcnow()
    batch = _insert_batch(session, organization, actor, reference, filename, sha256, now)
    batch.confidentiality, batch.data_backed_up = require_confidentiality(confidentiality), data_backed_up
    # Every accepted row is written, also after a problem: the rows are rolled back anyway, and the
    # open-batch check below then covers the whole list, so the client gets every problem at once.
    loader = loader_for(session, batch, now, estimate_rows(data))
    try:
        for chunk in manifest.chunks():
            loader.write(chunk)
            if progress:
                progress(manifest.rows_read, None)
        media = loader.finish()
    except ManifestError as exc:
        loader.abort()
        raise refusal(exc)
    except BaseException:
        loader.abort()
        raise
    for row, serial, holder in serials_taken_by_open_batches(session, batch, manifest.rows_read):
        manifest.serial_in_open_batch(row, serial, holder)

    rows = manifest.rows_read
    if manifest.problem_count:
        problems = sorted(manifest.problems, key=lambda p: (p.row, p.column or ""))
        raise Invalid(
            f"The asset list has {manifest.problem_count} problem(s); nothing was registered. "
            "Fix the rows listed and upload the whole list again.",
            code="manifest_invalid",
            details={"problems": [problem_dict(p) for p in problems],
                     "problem_count": manifest.problem_count, "rows": rows},
        )
    if rows == 0:
        raise Invalid("The asset list has no device rows.", code="manifest_empty",
                      details={"problems": [], "rows": 0})

    batch.device_count = rows
    record_registration(session, batch, actor, filename=filename, sha256=sha256, rows=rows,
                        media=media, at=now)
    session.flush()
    notifications.notify(session, organization.id, "batch_registered",
                         {"batch_id": batch.id, "reference": batch.reference, "devices": rows, "drives": media})
    return Registration(batch, True, rows, media, manifest.columns.as_dict())


CONFIDENTIALITY = ("low", "moderate", "high")     # FIPS 199 impact levels, as NIST SP 800-88 App. G uses them


def require_confidentiality(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in CONFIDENTIALITY:
        raise Invalid(f"confidentiality is one of {', '.join(CONFIDENTIALITY)} (FIPS 199), or not given.",
                      code="validation_failed", details=[{"field": "confidentiality", "message": "unknown level"}])
    return value


def state_data_handling(session: Session, actor: User, batch: Batch, *, confidentiality: str | None,
                        data_backed_up: bool | None) -> Batch:
    """The client states (or corrects, while the batch is open) what its media's data is; a custody event."""
    status = custody.lock_batch(session, batch.id)
    if status != "open":
        raise Conflict(f"Batch {batch.id} is {status}: what its certificate states can no longer change.",
                       code="batch_closed", details={"state": status, "allowed": [], "needs": []})
    batch.confidentiality = require_confidentiality(confidentiality)
    batch.data_backed_up = data_backed_up
    custody.append(session, batch.id, device_id=None, actor=actor, action="state_data_handling",
                   evidence={"confidentiality": batch.confidentiality, "data_backed_up": batch.data_backed_up})
    return batch


def refusal(exc: ManifestError) -> Exception:
    """A list refused as a whole, as a domain error: 413 past the row limit, else 422."""
    if isinstance(exc, TooManyRows):
        return TooLarge(exc.message, code="too_many_rows", details={"limit_rows": exc.limit})
    if isinstance(exc, TooBig):
        return TooLarge(exc.message, code=exc.code, details={"limit": exc.limit, "maximum": exc.maximum,
                                                            "value": exc.value})
    details: dict = {"problems": []}
    if isinstance(exc, NoSerialColumn):
        details["headers"] = list(exc.headers)
    return Invalid(exc.message, code=exc.code, details=details)


def _insert_batch(session, organization, actor, reference, filename, sha256, now) -> Batch:
    """The batch row. The unique (organization_id, source_sha256) constraint referees two
    uploads of the same list racing past ``find_registered``: on PostgreSQL the second insert
    waits for the first transaction and then fails; the loser gets a 409 and, sent again, the
    winner's batch (200).

    No savepoint to turn the loss into a quiet 200: pysqlite's SAVEPOINT handling would commit
    the outer work on RELEASE, and one behaviour on both databases is easier to trust.
    """
    batch = Batch(organization_id=organization.id, reference=reference[:120],
                  status=BatchStatus.open.value, source_filename=(filename or None) and filename[:255],
                  source_sha256=sha256, device_count=0, created_by_id=actor.id if actor else None,
                  created_at=now)
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("The same asset list is being registered for this client by another request "
                       "right now. Send it again in a moment to get that batch.",
                       code="registration_in_progress")
    return batch


def serials_taken_by_open_batches(session: Session, batch: Batch, rows: int) -> list[tuple[int, str, str]]:
    """(manifest row, serial, "<batch id> (<reference>)") for each device of ``batch`` (``rows`` of them,
    written already) whose serial another OPEN batch of the same client holds.

    A closed batch is history: the same unit may come back later (a lease return) and is then
    a new registration. A serial matches as written, or upper-cased where it has lower case in it,
    which catches the usual case slip. A client with no other open batch costs one small query.

    Serials are looked up through the (batch_id, serial) index from the smaller side, by correlated
    subqueries, which run once per row of their outer side whatever the planner believes: the
    statistics predate the rows just written, and a join planned on them took this batch for a
    handful of rows and scanned it once per device of the other batches. The sides' sizes are the
    batches' own device counts.
    """
    holders = {
        bid: (f"{bid} ({ref})", count)
        for bid, ref, count in session.execute(
            sa.select(Batch.id, Batch.reference, Batch.device_count).where(
                Batch.organization_id == batch.organization_id, Batch.status == BatchStatus.open.value,
                Batch.id != batch.id))
    }
    if not holders:
        return []
    new, old = aliased(Device), aliased(Device)
    theirs = (old.batch_id.in_(list(holders)), old.organization_id == batch.organization_id)
    ours = (new.batch_id == batch.id, new.manifest_row.is_not(None))
    if rows <= sum(count for _, count in holders.values()):
        holder = sa.select(sa.func.min(old.batch_id)).where(*theirs, old.serial == new.serial) \
            .correlate(new).scalar_subquery()
        as_written = sa.select(new.manifest_row, new.serial, holder.label("holder"), sa.literal(0)).where(*ours)
    else:
        line = sa.select(new.manifest_row).where(*ours, new.serial == old.serial).correlate(old).scalar_subquery()
        as_written = sa.select(line.label("row"), old.serial, old.batch_id.label("holder"), sa.literal(0)) \
            .where(*theirs)
    # Few serials have lower case in them: only those look their upper-cased form up.
    upper = sa.select(sa.func.min(old.batch_id)).where(*theirs, old.serial == sa.func.upper(new.serial)) \
        .correlate(new).scalar_subquery()
    upper_cased = sa.select(new.manifest_row, new.serial, upper.label("holder"), sa.literal(1)) \
        .where(*ours, new.serial != sa.func.upper(new.serial))
    found = sa.union_all(as_written, upper_cased).subquery()
    taken: dict[int, tuple[int, str, str]] = {}
    # An exact match before a case slip, then the oldest holder: the same answer whichever side led.
    for row, serial, held, _ in session.execute(
            sa.select(found).where(found.c[0].is_not(None), found.c[2].is_not(None))
            .order_by(found.c[3], found.c[2])).all():
        taken.setdefault(row, (row, serial, holders[held][0]))
    return [taken[row] for row in sorted(taken)]


def problem_dict(problem: Problem) -> dict:
    return {"row": problem.row, "column": problem.column, "value": problem.value,
            "message": problem.message, "code": problem.code}


def _media_count(session: Session, batch_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count(StorageMedium.id)).join(Device, Device.id == StorageMedium.device_id)
        .where(Device.batch_id == batch_id)
    ) or 0


# -- custody ----------------------------------------------------------------------------------

def record_registration(session: Session, batch: Batch, actor: User | None, *, filename: str | None,
                        sha256: str, rows: int, media: int, at: datetime) -> CustodyEvent:
    """The batch's first custody event: who registered which file (by hash), with how many rows."""
    evidence = {"file_name": filename, "sha256": sha256, "rows": rows, "media": media,
                "reference": batch.reference}
    event = CustodyEvent(**custody.build_event(
        custody.ChainHead(batch.id, 0, GENESIS), device_id=None, actor=actor, action="batch_registered",
        from_state=None, to_state="registered", evidence=evidence, created_at=at))
    session.add(event)
    return event


# -- reading back -----------------------------------------------------------------------------

def row_results(session: Session, batch: Batch, limit: int = MAX_ROW_RESULTS) -> list[dict] | None:
    """One entry per manifest row (row, serial, device id, media count), or None past ``limit``
    rows (then the client pages through /batches/<id>/devices)."""
    if batch.device_count > limit:
        return None
    media = (
        sa.select(StorageMedium.device_id, sa.func.count().label("n"))
        .group_by(StorageMedium.device_id).subquery()
    )
    found = session.execute(
        sa.select(Device.manifest_row, Device.serial, Device.id, sa.func.coalesce(media.c.n, 0))
        .outerjoin(media, media.c.device_id == Device.id)
        .where(Device.batch_id == batch.id, Device.manifest_row.is_not(None))
        .order_by(Device.manifest_row)
    ).all()
    return [{"row": r, "serial": s, "device_id": i, "media": n, "status": "registered"}
            for r, s, i, n in found]


def estimate_rows(data: bytes) -> int:
    """A cheap upper bound of the rows in a list, to decide inline vs background before parsing.

    Counts line ends in a CSV or JSON list (CR-only files too) and reads the dimension an XLSX
    sheet declares. Quoted line breaks make it over-count, which only sends a list to the
    background a little early.
    """
    if data.startswith(b"PK\x03\x04"):
        import io

        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            try:
                return workbook.worksheets[0].max_row or 0
            finally:
                workbook.close()
        except Exception:  # an unreadable workbook is refused by the parser, inline
            return 0
    return max(data.count(b"\n"), data.count(b"\r"), data.count(b"},{"))
