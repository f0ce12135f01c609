"""Writing planned steps (itad.steps.planning): the one writer of a step's rows, one step or thousands.

`write` takes the plans and the devices they leave finished, and writes, set-wise:
- each device once: its new state, and its version moved by the number of steps applied, only if it
  is still at the version read under the lock. With the rows locked that cannot fail on PostgreSQL;
  on SQLite, where reads take no lock, it is what turns a lost race into a 409;
- the media the steps changed (state, failed wipes);
- the steps' records (grouped by table) and their custody events; with a stream (itad.models.rowsets:
  thousands of rows, written while the next are planned) by COPY, else one INSERT ... RETURNING per
  table, the ids set on the rows (a response names them).
ORM instances the session already holds for the devices and media are told the new values.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from itad.errors import Conflict
from itad.models import CustodyEvent, Device, StorageMedium
from itad.models.rowsets import RowStream, update_rows
from itad.steps import custody
from itad.steps.held import HeldDevice
from itad.steps.planning import Planned


def write(session: Session, plans: list[Planned], devices: list[HeldDevice], now: datetime, *,
          stream: RowStream | None = None) -> None:
    records: dict[sa.Table, list[dict]] = defaultdict(list)
    events = []
    for planned in plans:
        if planned.record is not None:
            records[planned.record[0]].append(planned.record[1])
        events += planned.events
    with custody.refusing_races(session):
        # The devices first: a version someone else moved stops the write before anything else is sent.
        _update_devices(session, [d for d in devices if d.steps], now, stream)
        media = [{"id": m.id, "state": m.state, "failed_wipes": m.failed_wipes}
                 for d in devices for m in d.changed_media.values()]
        if stream is not None:
            stream.update(StorageMedium.__table__, media)
        else:
            update_rows(session, StorageMedium.__table__, media)
        for table, rows in records.items():
            _insert(session, table, rows, stream)
        _insert(session, CustodyEvent.__table__, events, stream)
    _tell_the_orm(session, devices, now)
    for d in devices:       # written: later steps in this request start from here
        d.version, d.steps = d.new_version, 0
        d.changed_media.clear()


def _insert(session: Session, table: sa.Table, rows: list[dict], stream: RowStream | None) -> None:
    if not rows:
        return
    if stream is not None:
        stream.insert(table, rows)
        return
    ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    for row, row_id in zip(rows, ids):
        row["id"] = row_id


def _update_devices(session: Session, devices: list[HeldDevice], now: datetime, stream: RowStream | None) -> None:
    by_steps: dict[int, list[dict]] = defaultdict(list)
    for d in devices:
        by_steps[d.steps].append({"id": d.id, "version": d.version, "state": d.facts.state, "updated_at": now})
    table = Device.__table__
    for steps, rows in by_steps.items():
        moved = {"version": table.c.version + steps}
        if stream is not None:
            stream.update(table, rows, match=("version",), extra=moved,
                          conflict=Conflict("Devices changed while the results were applied; retry.",
                                            code="concurrent_update"))
        elif update_rows(session, table, rows, match=("version",), extra=moved) != len(rows):
            session.rollback()
            raise current_state_conflict(session, rows[0]["id"], "Another technician changed this device first.")


def current_state_conflict(session: Session, device_id: int, message: str) -> Conflict:
    """A lost race: the winner's state, read on a connection of its own (this transaction is spoiled)."""
    with session.get_bind().connect() as conn:
        row = conn.execute(sa.select(Device.state, Device.version).where(Device.id == device_id)).first()
    state, version = (row.state, row.version) if row else (None, None)
    return Conflict(f"{message} The device is now {state}.", code="concurrent_update",
                    details={"state": state, "version": version, "allowed": [],
                             "needs": ["reload the device and retry"]})


def _tell_the_orm(session: Session, devices: list[HeldDevice], now: datetime) -> None:
    """Instances this session holds for the written rows take the values written (no reload)."""
    held = session.identity_map
    for d in devices:
        device = held.get(identity_key(Device, d.id))
        if device is not None and d.steps:
            for name, value in (("state", d.facts.state), ("version", d.new_version), ("updated_at", now)):
                set_committed_value(device, name, value)
        for m in d.changed_media.values():
            medium = held.get(identity_key(StorageMedium, m.id))
            if medium is not None:
                set_committed_value(medium, "state", m.state)
                set_committed_value(medium, "failed_wipes", m.failed_wipes)
