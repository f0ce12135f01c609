"""Writing planned steps (itad.steps.planning): the one writer of a step's rows, one step or thousands.

`write` takes the plans and the devices they leave finished, and writes, set-wise:
- each device once: its new state, and its version moved by the number of steps applied, only if it
  is still at the version read under the lock. With the rows locked that cannot fail on PostgreSQL;
  on SQLite, where reads take no lock, it is what turns a lost race into a 409;
- the media the steps changed (state, failed wipes);
- the steps' records (grouped by table) and their custody events; with a stream (itad.models.rowsets:
  thousands of rows, written while the next are planned) by COPY, else one INSERT ... RETURNING per
  table, the ids set on the rows (a response names them).
One device's steps on PostgreSQL (a step at the bench) go as one statement doing all of that.
ORM instances the session already holds for the devices and media are told the new values.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from itad.errors import Conflict
from itad.models import CustodyEvent, Device, StorageMedium
from itad.models.rowsets import RowStream, on_postgres, update_rows
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
        if stream is None and len(devices) == 1 and devices[0].steps and not devices[0].described \
                and on_postgres(session):
            _write_one(session, devices[0], records, events, now)
            return _written(session, devices, now)
        # The devices first: a version someone else moved stops the write before anything else is sent.
        _update_devices(session, [d for d in devices if d.steps], now, stream)
        media = [{"id": m.id, "state": m.state, "failed_wipes": m.failed_wipes}
                 for d in devices for m in d.changed_media.values()]
        described = [_facts_row(d, mid) for d in devices for mid in sorted(d.described)]
        for rows in (media, described):
            if stream is not None:
                stream.update(StorageMedium.__table__, rows)
            else:
                update_rows(session, StorageMedium.__table__, rows)
        for table, rows in records.items():
            _insert(session, table, rows, stream)
        _insert(session, CustodyEvent.__table__, events, stream)
    _written(session, devices, now, tell_the_orm=stream is None)


def _written(session: Session, devices: list[HeldDevice], now: datetime, *, tell_the_orm: bool = True) -> None:
    if tell_the_orm:        # a streamed bulk expires the whole session at its end instead
        _tell_the_orm(session, devices, now)
    for d in devices:       # written: later steps in this request start from here
        d.version, d.steps = d.new_version, 0
        d.changed_media.clear()
        d.described.clear()


def _facts_row(device: HeldDevice, medium_id: int) -> dict:
    """A described drive's facts as held (itad.steps.planning.describe)."""
    held = device.media[medium_id]
    return {"id": medium_id, "media_type": device.facts.medium(medium_id).media_type, "manufacturer": held.manufacturer, "model": held.model,
            "capacity_bytes": held.capacity_bytes, "review_reason": held.review_reason}


def _write_one(session: Session, device: HeldDevice, records: dict[sa.Table, list[dict]], events: list[dict],
               now: datetime) -> None:
    """One step on PostgreSQL: every row in one statement (data-modifying CTEs). A step at the bench is a
    handful of small rows, and each statement is a round trip and a pass through SQLAlchemy, psycopg
    and the server's executor: most of what a step costs beyond its reads. The device's UPDATE is the
    CTE the others select from, so when its version check fails nothing else is written."""
    inserts = [(table, rows) for table, rows in records.items()] + [(CustodyEvent.__table__, events)]
    media = list(device.changed_media.values())
    params = {"device": device.id, "old_version": device.version, "new_version": device.new_version,
              "new_state": device.facts.state, "now": now}
    for i, m in enumerate(media):
        params.update({f"m{i}_id": m.id, f"m{i}_state": m.state, f"m{i}_failed_wipes": m.failed_wipes})
    shape = []
    for t, (table, rows) in enumerate(inserts):
        names = tuple(rows[0])
        shape.append((table, names, len(rows)))
        for r, row in enumerate(rows):
            params.update({f"t{t}r{r}_{name}": value for name, value in row.items()})
    found = session.execute(_one_statement(len(media), tuple(shape)), params).first()
    if found is None:
        session.rollback()
        raise current_state_conflict(session, device.id, "Another technician changed this device first.")
    ids = iter(found)
    for _, rows in inserts:
        for row in rows:
            row["id"] = next(ids)


@functools.cache
def _one_statement(n_media: int, shape: tuple) -> sa.Select:
    """_write_one's statement, built once per shape (how many media; per table, its columns and rows)."""
    device = Device.__table__
    moved = (sa.update(device).where(device.c.id == sa.bindparam("device"),
                                     device.c.version == sa.bindparam("old_version"))
             .values({device.c.state: sa.bindparam("new_state", type_=device.c.state.type),
                      device.c.version: sa.bindparam("new_version", type_=device.c.version.type),
                      device.c.updated_at: sa.bindparam("now", type_=device.c.updated_at.type)})
             .returning(device.c.id).cte("moved"))
    medium = StorageMedium.__table__
    ctes = [sa.update(medium).where(medium.c.id == sa.bindparam(f"m{i}_id", type_=medium.c.id.type),
                                    sa.exists(sa.select(moved.c.id)))
            .values({medium.c.state: sa.bindparam(f"m{i}_state", type_=medium.c.state.type),
                     medium.c.failed_wipes: sa.bindparam(f"m{i}_failed_wipes", type_=medium.c.failed_wipes.type)})
            .cte(f"m{i}") for i in range(n_media)]
    inserted = []
    for t, (table, names, n_rows) in enumerate(shape):
        for r in range(n_rows):
            # INSERT ... SELECT <values> FROM moved: a row only if the device moved. Each value is cast to
            # its column's type: a SELECT list does not take its types from the INSERT (a NULL would be text).
            values = [sa.cast(sa.bindparam(f"t{t}r{r}_{name}", type_=table.c[name].type), table.c[name].type)
                      for name in names]
            inserted.append(sa.insert(table).from_select(list(names), sa.select(*values).select_from(moved),
                                                         include_defaults=False)
                            .returning(table.c.id).cte(f"t{t}r{r}"))
    joined = inserted[0]
    for cte in inserted[1:]:
        joined = joined.join(cte, sa.true())
    return sa.select(*(cte.c.id for cte in inserted)).select_from(joined).add_cte(*ctes)


def _insert(session: Session, table: sa.Table, rows: list[dict], stream: RowStream | None) -> None:
    if not rows:
        return
    if stream is not None:
        stream.insert(table, rows)
        return
    if len(rows) == 1:          # one step's record or event: a plain INSERT, not an executemany
        rows[0]["id"] = session.execute(sa.insert(table).returning(table.c.id), rows[0]).scalar_one()
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
        for medium_id in d.described:
            medium = held.get(identity_key(StorageMedium, medium_id))
            if medium is not None:
                for name, value in _facts_row(d, medium_id).items():
                    set_committed_value(medium, name, value)
