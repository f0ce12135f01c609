"""ORM instances for rows that a Core statement read or wrote, as if a query had loaded them.

The hot paths (the token check on every request, a workflow step) read a few rows by key. Through an
ORM query each statement also pays for the ORM's per-execution setup and its row processing, about
as much again as the statement itself. A Core select of the same columns (`columns`), made into
instances here (`loaded`), gives the same persistent objects: in the identity map, without history
(a later flush writes only what then changes), relationships loading lazily when first read.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

T = TypeVar("T")


@functools.cache
def _shape(model: type, only: tuple[str, ...] | None) -> tuple[Any, tuple[str, ...], tuple[sa.ColumnElement, ...],
                                                                tuple[int, ...]]:
    """(mapper, attribute names, their columns, positions of the primary key among them)."""
    mapper = sa.inspect(model)
    props = [p for p in mapper.column_attrs if only is None or p.key in only]
    names = tuple(p.key for p in props)
    pk = tuple(names.index(mapper.get_property_by_column(c).key) for c in mapper.primary_key)
    return mapper, names, tuple(p.columns[0] for p in props), pk


def columns(model: type, only: tuple[str, ...] | None = None) -> tuple[sa.ColumnElement, ...]:
    """The model's mapped columns (or those named `only`, the key among them), in the order
    `loaded` reads them from a row."""
    return _shape(model, only)[2]


def width(model: type, only: tuple[str, ...] | None = None) -> int:
    return len(_shape(model, only)[1])


def loaded(session: Session, model: type[T], row: Sequence[Any], start: int = 0, *,
           only: tuple[str, ...] | None = None, refresh: bool = False) -> T:
    """The persistent instance for the values of `columns(model, only)` found in `row` from `start` on.

    An instance the session already holds for that key is returned as it is, as a query would
    return it; refresh=True overwrites its attributes with the values read (populate_existing).
    Attributes not read (`only`) are expired: the database is asked for them if they are used."""
    mapper, names, _, pk = _shape(model, only)
    values = row[start:start + len(names)]
    key = mapper.identity_key_from_primary_key([values[i] for i in pk])
    existing = session.identity_map.get(key)
    if existing is not None:
        if refresh:
            for name, value in zip(names, values):
                set_committed_value(existing, name, value)
        return existing
    return attached(session, model, dict(zip(names, values)))


def attached(session: Session, model: type[T], values: dict[str, Any]) -> T:
    """The persistent instance for a row with these values (its key among them), as read or just written.

    Columns not given (server or insert defaults) are expired: read from the database if asked for."""
    instance = _shape(model, None)[0].class_manager.new_instance()
    instance_state(instance).dict.update(values)
    make_transient_to_detached(instance)   # committed as given; relationships load when first read
    session.add(instance)
    return instance
