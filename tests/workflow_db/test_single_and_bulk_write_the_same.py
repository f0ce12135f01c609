"""One way to apply a step: random bench sessions sent two ways end in the same rows.

Two fresh databases (on the database the suite runs on) get the same client, batch, policy and users.
The same random sequence of steps (receive, wipe, a drive found at the bench, verify, grade, clear,
destroy; a wipe may say what the drive is, which fills or contradicts what was listed) goes to each: to the first one request per step; to the second with every run of wipes sent as
one bulk request. Each step must be applied or refused alike, and then every column of every row the
steps wrote must be equal in the two, ids and the times of writing aside (so the custody hashes too,
which cover those times: each chain is verified instead).
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from itad import accounts, create_app
from itad.models import Batch, Device, StorageMedium, db
from itad.steps import sanitizing
from tests.append_only import unguarded

# What the steps write, and the columns that say when or under which id, not what. `source` (on a
# wipe record and in its event's evidence) names the entry point itself: "api" or "bulk".
TABLES = ("device", "storage_medium", "sanitization_record", "verification", "device_grading", "destruction",
          "custody_event")
NOT_COMPARED = {"id", "created_at", "updated_at", "hash", "prev_hash", "source"}
WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
NO_SUCH_MEDIUM = 2**31 - 1


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql"))


@pytest.fixture(scope="module")
def twins(app_config, database_url, tmp_path_factory):
    """Two apps, each on a database of its own, built by the migrations."""
    urls = []
    if _is_postgres(database_url):
        import psycopg

        admin_url = database_url.replace("postgresql+psycopg://", "postgresql://")
        base, _, _ = admin_url.rpartition("/")
        names = [f"itad_twin_{uuid.uuid4().hex[:10]}" for _ in range(2)]
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
        urls = [f"{base}/{name}" for name in names]
    else:
        folder = tmp_path_factory.mktemp("twins")
        urls = [f"sqlite:///{folder / f'twin{i}.sqlite3'}" for i in range(2)]
    apps = []
    for url in urls:
        app = create_app({**app_config, "DATABASE_URL": url})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        apps.append(app)
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if _is_postgres(database_url):
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn, unguarded(conn):
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())


class Twin:
    """One database: its client, batch (devices x media) and users, built the same in both."""

    def __init__(self, app, media_per_device: list[int], policy: dict):
        self.app, self.client = app, app.test_client()
        with app.app_context():
            s = db.session
            op = accounts.create_organization(s, "Operator", kind="operator", slug="operator")
            client = accounts.create_organization(s, "Acme Bank", slug="acme")
            self.headers = {}
            for role, name in (("admin", "Ada Admin"), ("technician", "Tom Tech"), ("technician", "Val Verifier")):
                user = accounts.create_user(s, op, f"{name.split()[0].lower()}@example.test", name, role,
                                            "correct-horse-battery")
                self.headers[name] = {"Authorization": f"Bearer {accounts.create_token(s, user, 'test')[1]}"}
            batch = Batch(organization_id=client.id, reference="PO-TWIN", device_count=len(media_per_device))
            s.add(batch)
            s.flush()
            self.devices, self.media = [], []
            for i, count in enumerate(media_per_device):
                device = Device(batch_id=batch.id, organization_id=client.id, serial=f"SN{i:03d}", manufacturer="Dell",
                                model="Latitude 5490", category="laptop", manifest_row=i + 2)
                s.add(device)
                s.flush()
                drives = [StorageMedium(device_id=device.id, serial=f"DR{i:03d}{m}", media_type=kind)
                          for m, kind in zip(range(count), ("unknown", "hdd", "ssd"))]
                s.add_all(drives)
                s.flush()
                self.devices.append((device.id, device.serial))
                self.media.append([m.id for m in drives])
            s.commit()
            self.batch_id = batch.id
        self.call("Ada Admin", "PUT", f"/batches/{self.batch_id}/policy", {"rules": policy})

    def call(self, who: str, method: str, url: str, json=None):
        response = self.client.open("/api/v1" + url, method=method, json=json, headers=self.headers[who])
        return response.status_code, response.get_json()

    def rows(self) -> dict[str, list[tuple]]:
        """Every row of the step tables, without the columns NOT_COMPARED, in id order."""
        with self.app.app_context():
            out = {}
            for name in TABLES:
                table = db.metadata.tables[name]
                kept = [c for c in table.c if c.name not in NOT_COMPARED]
                out[name] = [tuple(zip((c.name for c in kept), map(_without_source, row))) for row in
                             db.session.execute(sa.select(*kept).order_by(table.c.id))]
            db.session.remove()
            return out


def _without_source(value):
    return {k: v for k, v in value.items() if k != "source"} if isinstance(value, dict) else value


def _first_difference(bulk: dict, single: dict) -> dict:
    """Where two twins' rows first differ: table, row, and the columns that differ (for a readable failure)."""
    for name in TABLES:
        a, b = bulk[name], single[name]
        if len(a) != len(b):
            return {"table": name, "rows in bulk": len(a), "rows one by one": len(b), "bulk": a, "single": b}
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return {"table": name, "row": i, "columns": [(c, v, w) for (c, v), (_, w) in zip(x, y) if v != w]}
    return {}


wipe = st.fixed_dictionaries({
    "method": st.sampled_from(["clear", "purge", "destroy"]),
    "technique": st.sampled_from(["overwrite", "crypto_erase", "block_erase", "secure_erase", "shred"]),
    "result": st.sampled_from(["erased", "erased", "erased_with_warning", "failed"]),
}, optional={
    "tool": st.sampled_from(["nwipe", "hdparm"]), "tool_version": st.sampled_from(["0.37", "9.65"]),
    "passes": st.integers(0, 3), "hidden_areas": st.sampled_from(["none", "removed", "present", "unknown"]),
    "verified_by_tool": st.booleans(), "started_at": st.just(WHEN.isoformat()),
    "finished_at": st.just(WHEN.replace(hour=11).isoformat()),
    # what a result says of the drive: fills a listed drive's unknowns, or flags a contradiction
    "media_type": st.sampled_from(["ssd", "hdd", "nvme"]), "medium_model": st.sampled_from(["PM9A1", "MX500"]),
    "capacity_bytes": st.sampled_from([500107862016, 256060514304]),
})
step = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 2)),
    st.tuples(st.just("wipe"), st.integers(0, 2), st.integers(0, 2), wipe),
    st.tuples(st.just("new_drive"), st.integers(0, 2), st.sampled_from(["ssd", "hdd", "unknown"]), wipe),
    st.tuples(st.just("verify"), st.integers(0, 2), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("grade"), st.integers(0, 2), st.sampled_from("ABCD")),
    st.tuples(st.just("clear"), st.integers(0, 2)),
    st.tuples(st.just("destroy"), st.integers(0, 2)),
)
policy = st.sampled_from([{"verification": "all"},
                          {"verification": "sample", "sample_percent": 0},
                          {"verification": "sample", "sample_percent": 50, "minimum_method": "purge"},
                          {"verification": "sample", "sample_percent": 100, "max_failed_wipes": 1}])


def _wipe_of(twin: Twin, s: tuple, n: int) -> tuple[int, dict]:
    """(device id, the wipe as the single endpoint takes it)."""
    kind, d = s[0], s[1]
    device_id, serial = twin.devices[d]
    if kind == "new_drive":
        return device_id, {**s[3], "medium_serial": f"BENCH{serial}{n}", "media_type": s[2]}
    media = twin.media[d]
    # A device listed without drives: a medium id it does not have (the single endpoint would take a
    # drive added at the bench as the device's only one, which a bulk item must name).
    return device_id, {"medium_id": media[s[2] % len(media)] if media else NO_SUCH_MEDIUM, **s[3]}


def _single(twin: Twin, s: tuple, n: int) -> bool:
    """Send one step as its own request; whether it was applied."""
    kind, d = s[0], s[1]
    device_id, serial = twin.devices[d]
    if kind in ("wipe", "new_drive"):
        _, body = _wipe_of(twin, s, n)
        status, answer = twin.call("Tom Tech", "POST", f"/devices/{device_id}/sanitizations", body)
    elif kind == "receive":
        status, answer = twin.call("Tom Tech", "POST", "/receive", {"serial": serial})
    elif kind == "verify":
        media = twin.media[d]
        status, answer = twin.call("Val Verifier", "POST", f"/devices/{device_id}/verifications",
                                   {"medium_id": media[s[2] % len(media)] if media else None, "passed": s[3]})
    elif kind == "grade":
        status, answer = twin.call("Tom Tech", "POST", f"/devices/{device_id}/grade", {"grade": s[2]})
    elif kind == "clear":
        status, answer = twin.call("Tom Tech", "POST", f"/devices/{device_id}/clear")
    else:
        status, answer = twin.call("Tom Tech", "POST", f"/devices/{device_id}/destroy",
                                   {"technique": "shred", "witness": "Val", "destroyed_at": WHEN.isoformat()})
    assert status in (200, 201, 409, 422), (s, status, answer)
    return status in (200, 201)


def _bulk(twin: Twin, run: list[tuple[int, tuple]]) -> list[bool]:
    """Send a run of wipes as one bulk request; whether each was applied."""
    items = []
    for n, s in run:
        device_id, body = _wipe_of(twin, s, n)
        items.append({**body, "device_id": device_id})
    status, answer = twin.call("Tom Tech", "POST", "/sanitizations/bulk", {"items": items})
    assert status == 200, answer
    return [r["status"] == "applied" for r in answer["results"]]


# EQUIVALENCE_EXAMPLES=500 for a longer hunt than the suite's.
@settings(max_examples=int(os.environ.get("EQUIVALENCE_EXAMPLES", 25)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(media=st.lists(st.integers(0, 2), min_size=3, max_size=3),
       rules=policy, steps=st.lists(step, min_size=1, max_size=14), chunk=st.sampled_from([1, 2, 1000]))
def test_single_steps_and_bulk_wipes_write_the_same_rows(twins, media, rules, steps, chunk):
    """chunk: how many results bulk plans between two writes (small ones write a device as soon as no
    later item names it, while the next items are planned; its version must still move once per step)."""
    for app in twins:
        _empty(app)
    one_by_one, in_bulk = (Twin(app, media, rules) for app in twins)
    # Every device is received first half the time, so that most sequences reach the later steps.
    steps = [("receive", d) for d in range(3)] + steps if len(steps) % 2 else steps

    singles = [_single(one_by_one, s, n) for n, s in enumerate(steps)]
    bulked, run = [], []
    saved = sanitizing._CHUNK, sanitizing._FIRST_CHUNK
    sanitizing._CHUNK = sanitizing._FIRST_CHUNK = chunk
    try:
        for n, s in enumerate(steps + [("end",)]):
            if s[0] in ("wipe", "new_drive"):
                run.append((n, s))
                continue
            if run:
                bulked += _bulk(in_bulk, run)
                run = []
            if s[0] != "end":
                bulked.append(_single(in_bulk, s, n))
    finally:
        sanitizing._CHUNK, sanitizing._FIRST_CHUNK = saved

    example = {"media": media, "rules": rules, "steps": steps, "chunk": chunk}
    assert bulked == singles, repr({**example, "bulk": bulked, "single": singles})
    assert in_bulk.rows() == one_by_one.rows(), repr({**example, **_first_difference(in_bulk.rows(),
                                                                                     one_by_one.rows())})
    for twin in (one_by_one, in_bulk):
        assert twin.call("Ada Admin", "GET", f"/batches/{twin.batch_id}/custody/verify")[1]["ok"]
