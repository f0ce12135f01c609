"""Registering a batch from a client's asset list: the database side of intake.

The parser (itad.intake.manifest) turns bytes into checked rows and problems; this module adds
what only the database knows (a serial already sitting in another open batch of the same
client), then writes the batch, its devices, their storage media and one custody event.

Speed and memory: rows stream from the parser in chunks; each chunk is one duplicate query
(served by ix_device_org_serial), then one Core executemany for its devices and one for their
media (on PostgreSQL, a COPY of each, several times faster). Device ids are reserved first so
media can point at them. No ORM object per row.

Atomic: everything happens in the caller's transaction, and any problem raises after the whole
list was read (so the client gets every problem at once); the caller rolls back and nothing
is left behind. Nothing here commits: the request or the job is the unit of work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from itad.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from itad.workflow import custody
from workflows.custody import GENESIS
from itad.intake.errors import ManifestError, NoSerialColumn, TooManyRows
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
        raise _refusal(exc)

    now = utcnow()
    batch = _insert_batch(session, organization, actor, reference, filename, sha256, now)
    manifest.known_serials = lambda serials: serials_in_open_batches(session, organization.id, batch.id, serials)

    writer = _Writer(session, batch, now)
    try:
        for chunk in manifest.chunks():
            # Once anything is wrong nothing will be kept: stop writing, keep reading, so the
            # client gets every problem at once.
            if not manifest.problem_count:
                writer.write(chunk)
            if progress:
                progress(manifest.rows_read, None)
    except ManifestError as exc:
        raise _refusal(exc)

    rows = manifest.rows_read
    if manifest.problem_count:
        problems = sorted(manifest.problems, key=lambda p: (p.row, p.column or ""))
        raise Invalid(
            f"The asset list has {manifest.problem_count} problem(s); nothing was registered. "
            "Fix the rows listed and upload the whole list again.",
            code="manifest_invalid",
            details={"problems": [_problem_dict(p) for p in problems],
                     "problem_count": manifest.problem_count, "rows": rows},
        )
    if rows == 0:
        raise Invalid("The asset list has no device rows.", code="manifest_empty",
                      details={"problems": [], "rows": 0})

    batch.device_count = rows
    record_registration(session, batch, actor, filename=filename, sha256=sha256, rows=rows,
                        media=writer.media, at=now)
    session.flush()
    return Registration(batch, True, rows, writer.media, manifest.columns.as_dict())


def _refusal(exc: ManifestError) -> Exception:
    """A list refused as a whole, as a domain error: 413 past the row limit, else 422."""
    if isinstance(exc, TooManyRows):
        return TooLarge(exc.message, code="too_many_rows", details={"limit_rows": exc.limit})
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


def serials_in_open_batches(session: Session, organization_id: int, batch_id: int,
                            serials: list[str]) -> dict[str, str]:
    """{serial as written: "<batch id> (<reference>)"} for those already in another OPEN batch
    of the same client: the parser's ``known_serials`` hook, called once per chunk.

    A closed batch is history: the same unit may come back later (a lease return) and is then
    a new registration. The query asks for each serial as written and upper-cased, so it is
    served by ix_device_org_serial and still catches the usual case slip.
    """
    wanted = set(serials) | {s.upper() for s in serials}
    found = session.execute(
        sa.select(Device.serial, Batch.id, Batch.reference)
        .join(Batch, Batch.id == Device.batch_id)
        .where(Device.organization_id == organization_id, Device.serial.in_(wanted),
               Device.batch_id != batch_id, Batch.status == BatchStatus.open.value)
    ).all()
    if not found:
        return {}
    by_upper = {serial.upper(): f"{bid} ({ref})" for serial, bid, ref in found}
    return {s: by_upper[s.upper()] for s in serials if s.upper() in by_upper}


def _problem_dict(problem: Problem) -> dict:
    return {"row": problem.row, "column": problem.column, "value": problem.value,
            "message": problem.message, "code": problem.code}


class _Writer:
    """Writes chunks of rows as devices and media with one executemany each.

    Device ids are reserved before the insert, so the media rows can point at their device
    without RETURNING (which SQLite can only honour in parameter order one row at a time):
    on PostgreSQL from the table's sequence, on SQLite past the current largest id, which is
    safe because this transaction already holds SQLite's single write lock (it inserted the
    batch row).
    """

    def __init__(self, session: Session, batch: Batch, now: datetime):
        self.session = session
        self.batch = batch
        self.now = now
        self.media = 0
        self.dialect = session.get_bind().dialect.name
        # What is the same on every row goes into the statement once, as SQL literals, instead
        # of through per-row parameter processing (a third of the insert's cost on SQLite).
        stamp = sa.literal_column(_timestamp_literal(now, self.dialect))
        self.device_insert = sa.insert(Device.__table__).values(
            batch_id=sa.literal_column(str(int(batch.id))),
            organization_id=sa.literal_column(str(int(batch.organization_id))),
            state=sa.literal_column("'registered'"), version=sa.literal_column("1"),
            created_at=stamp, updated_at=stamp,
        )
        self.medium_insert = sa.insert(StorageMedium.__table__).values(
            media_type=sa.literal_column("'unknown'"), source=sa.literal_column("'manifest'"),
            state=sa.literal_column("'pending'"), failed_wipes=sa.literal_column("0"), created_at=stamp,
        )

    def _reserve_ids(self, n: int) -> list[int] | range:
        if self.dialect == "postgresql":
            return self.session.scalars(
                sa.text("SELECT nextval(pg_get_serial_sequence('device', 'id')) FROM generate_series(1, :n)"),
                {"n": n},
            ).all()
        if self.dialect == "sqlite":
            first = (self.session.scalar(sa.select(sa.func.max(Device.id))) or 0) + 1
            return range(first, first + n)
        return []

    def write(self, chunk: list) -> None:
        if self.dialect == "postgresql":
            return self._copy(chunk)
        ids = self._reserve_ids(len(chunk))
        devices = [
            {"serial": row.serial, "asset_tag": row.asset_tag, "manufacturer": row.manufacturer,
             "model": row.model, "category": row.category, "manifest_row": row.row_number,
             "attributes": row.attributes or None}
            for row in chunk
        ]
        if ids:
            for device, device_id in zip(devices, ids):
                device["id"] = device_id
            self.session.execute(self.device_insert, devices)
        else:  # another database: let it assign ids and hand them back in order
            ids = self.session.scalars(
                self.device_insert.returning(Device.__table__.c.id, sort_by_parameter_order=True), devices
            ).all()
        media = [
            {"device_id": device_id, "serial": serial}
            for device_id, row in zip(ids, chunk)
            for serial in row.drive_serials
        ]
        if media:
            self.session.execute(self.medium_insert, media)
            self.media += len(media)


    _DEVICE_COLUMNS = ("id", "batch_id", "organization_id", "serial", "asset_tag", "manufacturer", "model",
                       "category", "state", "manifest_row", "attributes", "version", "created_at", "updated_at")
    _MEDIUM_COLUMNS = ("device_id", "serial", "media_type", "source", "state", "failed_wipes", "created_at")

    def _copy(self, chunk: list) -> None:
        """PostgreSQL: COPY the chunk's devices and media, in this session's transaction.

        COPY moves rows several times faster than INSERT statements (see bench/intake.py);
        ids come from the sequence first, so the media can name their devices.
        """
        ids = self._reserve_ids(len(chunk))
        batch_id, org_id, now = self.batch.id, self.batch.organization_id, self.now
        cursor = self.session.connection().connection.driver_connection.cursor()
        media = 0
        try:
            with cursor.copy(f"COPY device ({', '.join(self._DEVICE_COLUMNS)}) FROM STDIN") as copy:
                for device_id, row in zip(ids, chunk):
                    copy.write_row((device_id, batch_id, org_id, row.serial, row.asset_tag, row.manufacturer,
                                    row.model, row.category, "registered", row.row_number,
                                    json.dumps(row.attributes) if row.attributes else None, 1, now, now))
            if any(row.drive_serials for row in chunk):
                with cursor.copy(f"COPY storage_medium ({', '.join(self._MEDIUM_COLUMNS)}) FROM STDIN") as copy:
                    for device_id, row in zip(ids, chunk):
                        for serial in row.drive_serials:
                            copy.write_row((device_id, serial, "unknown", "manifest", "pending", 0, now))
                            media += 1
        finally:
            cursor.close()
        self.media += media


def _timestamp_literal(moment: datetime, dialect: str) -> str:
    """``moment`` (UTC) as SQL text, stored exactly as the DateTime type would store it."""
    if dialect == "sqlite":  # SQLAlchemy's SQLite storage format: naive UTC, microseconds
        return "'" + moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
    return "CAST('" + moment.astimezone(timezone.utc).isoformat() + "' AS TIMESTAMP WITH TIME ZONE)"


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
