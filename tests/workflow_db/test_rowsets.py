"""The bulk paths' row writer: what goes in comes back, whatever the text holds (on PostgreSQL it travels
as COPY text, where a tab, a newline or a backslash in a value would otherwise split or change it)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from itad.models.base import JSONType
from itad.models.rowsets import insert_rows, streaming

_PROBE = sa.Table(
    "rowsets_probe", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(200)),
    sa.Column("count", sa.Integer),
    sa.Column("share", sa.Float),
    sa.Column("flag", sa.Boolean),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("doc", JSONType),
    # Columns whose only awkward character is a backslash: a Windows path, JSON with escapes in it.
    sa.Column("path", sa.String(200)),
    sa.Column("meta", JSONType),
)

_NOW = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
_AWKWARD = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "", "ünïcödé ✓", 'quote "x"']


@pytest.fixture
def probe(session):
    """A scratch table of every kind of column the bulk paths write, gone after the test."""
    _PROBE.create(session.connection(), checkfirst=True)
    yield _PROBE
    session.rollback()
    _PROBE.drop(session.connection(), checkfirst=True)
    session.commit()


def _rows(first_id: int) -> list[dict]:
    rows = []
    for n, text in enumerate(_AWKWARD):
        rows.append({"id": first_id + n, "label": text, "count": n if n % 3 else None, "share": n / 7,
                     "flag": (None, True, False)[n % 3], "at": _NOW + timedelta(seconds=n % 2),
                     "doc": {"text": text, "list": [text, n], "nested": {"\\": "\t"}} if n % 4 else [text],
                     "path": f"C:\\tools\\nwipe-{n}", "meta": {"tool": f"C:\\new\\{n}", "quote": '"'}})
    rows.append({"id": first_id + len(_AWKWARD), "label": None, "count": None, "share": None, "flag": None,
                 "at": None, "doc": None, "path": None, "meta": None})
    return rows


def _read(session, ids: list[int]) -> list[dict]:
    rows = session.execute(sa.select(_PROBE).where(_PROBE.c.id.in_(ids)).order_by(_PROBE.c.id)).mappings().all()
    out = []
    for row in rows:
        row = dict(row)
        if row["at"] is not None and row["at"].tzinfo is None:      # SQLite hands back naive UTC
            row["at"] = row["at"].replace(tzinfo=timezone.utc)
        out.append(row)
    return out


def test_inserted_rows_come_back_value_for_value(session, probe):
    written = _rows(1)
    insert_rows(session, _PROBE, written)
    assert _read(session, [r["id"] for r in written]) == written


def test_streamed_rows_come_back_value_for_value_and_in_order(session, probe):
    first, second = _rows(1), _rows(100)
    with streaming(session) as stream:
        stream.insert(_PROBE, first)
        stream.insert(_PROBE, second)
        stream.update(_PROBE, [{"id": 1, "label": "changed\tafter"}])
    expected = [{**first[0], "label": "changed\tafter"}, *first[1:], *second]
    assert _read(session, [r["id"] for r in first + second]) == expected


def test_copies_that_queue_up_behind_a_slow_server_are_merged_and_keep_their_order(session, probe, app):
    # The writer's first COPY waits for a lock another connection holds, so the next items queue up
    # behind it; the COPYs among them go as one, and an update queued between them still comes after
    # the rows before it and before the rows after it.
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the background writer runs on PostgreSQL; SQLite writes each chunk at once")
    session.commit()
    from itad.models import db
    from itad.models.rowsets import _copy, _copy_text

    names = tuple(_rows(1)[0])

    def copy_of(rows):
        return [(_copy(_PROBE, names), _copy_text(rows, names))]

    with db.engine.connect() as other:
        other.execute(sa.text("LOCK TABLE rowsets_probe IN EXCLUSIVE MODE"))
        with streaming(session) as stream:
            stream.copy(copy_of(_rows(1)))          # taken by the writer, which waits for the lock
            stream.copy(copy_of(_rows(100)))
            stream.copy(copy_of(_rows(200)))
            stream.update(_PROBE, [{"id": 100, "label": "after 100"}, {"id": 300, "label": "not yet there"}])
            stream.copy(copy_of(_rows(300)))
            other.rollback()                        # the lock goes: the queue drains
    ids = [r["id"] for start in (1, 100, 200, 300) for r in _rows(start)]
    found = _read(session, ids)
    assert [r["id"] for r in found] == ids
    assert {r["id"]: r["label"] for r in found}[100] == "after 100"
    assert {r["id"]: r["label"] for r in found}[300] == _rows(300)[0]["label"]   # updated before it existed


def test_a_chunk_the_database_refused_is_raised_to_the_producer_before_it_sends_more(session, probe):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the background writer runs on PostgreSQL; SQLite writes each chunk at once")
    with pytest.raises(sa.exc.IntegrityError):
        with streaming(session) as stream:
            stream.insert(_PROBE, _rows(1))
            stream.insert(_PROBE, _rows(1))        # the same ids again: the primary key refuses them
            for _ in range(200):                  # the producer learns it at its next check
                stream.check()
                time.sleep(0.05)
            raise AssertionError("check() never raised the refused chunk")
    session.rollback()
