"""The intake service on its own, the CLI command and the background job."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from itad import documents
from itad.errors import Conflict, Invalid, TooLarge
from itad.extensions import db
from itad.intake import service
from itad.models import Batch, CustodyEvent, Device, Job, StorageMedium
from tests.jobs.conftest import PATIENCE

ROOT = Path(__file__).resolve().parents[2]
LIST = b"Serial,Category,Drive Serial,Rack\r\nS-1,Server,D-1,R7\r\nS-2,Server,D-2,\r\nS-3,Switch,,R8\r\n"


def register(session, party, data=LIST, **kw):
    kw = {"reference": "PO-1", "filename": "l.csv", "max_rows": 1000, **kw}
    return service.register_batch(session, organization=party.org, actor=party.user, data=data, **kw)


def test_the_service_writes_in_chunks_reports_progress_and_leaves_the_commit_to_the_caller(session, world):
    seen = []
    reg = register(session, world.acme, chunk_rows=2, progress=lambda done, total: seen.append(done))
    assert reg.created and (reg.rows, reg.media) == (3, 2)
    assert seen == [2, 3]
    session.rollback()  # nothing was committed inside
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0


def test_device_ids_reserved_per_chunk_line_up_with_their_media(session, world):
    register(session, world.globex, data=b"Serial\r\nOTHER-1\r\n")
    reg = register(session, world.acme, chunk_rows=2)
    session.commit()
    pairs = session.execute(
        sa.select(Device.serial, StorageMedium.serial).join(StorageMedium, StorageMedium.device_id == Device.id)
        .where(Device.batch_id == reg.batch.id).order_by(Device.serial)).all()
    assert pairs == [("S-1", "D-1"), ("S-2", "D-2")]
    device = session.scalar(sa.select(Device).where(Device.serial == "S-3"))
    assert device.attributes == {"Rack": "R8"} and device.created_at is not None
    # An ORM update after the Core insert works (the version counter starts at 1).
    device.state = "received"
    session.commit()
    assert device.version == 2


def needs_postgresql(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the COPY loader is PostgreSQL's")


def test_device_ids_handed_out_with_gaps_still_line_up_with_their_media(session, world):
    # On PostgreSQL a chunk's ids come back as a range when the sequence gave them contiguously,
    # and one by one when another session took ids in between; a sequence counting in threes
    # makes every chunk take the second way.
    needs_postgresql(session)
    sequence = session.scalar(sa.text("SELECT pg_get_serial_sequence('device', 'id')"))
    session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"ALTER SEQUENCE {sequence} INCREMENT BY 3"))
    try:
        data = b"Serial,Drive 1 Serial,Drive 2 Serial\r\n" + b"".join(b"S-%d,A-%d,B-%d\r\n" % (i, i, i) for i in range(7))
        reg = register(session, world.acme, data=data, chunk_rows=3)
        session.commit()
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"ALTER SEQUENCE {sequence} INCREMENT BY 1"))
    found = session.execute(
        sa.select(Device.id, Device.serial, StorageMedium.serial).join(StorageMedium, StorageMedium.device_id == Device.id)
        .where(Device.batch_id == reg.batch.id).order_by(Device.id, StorageMedium.serial)).all()
    assert [(serial, drive) for _, serial, drive in found] == [
        (f"S-{i}", f"{side}-{i}") for i in range(7) for side in "AB"]
    ids = sorted({device_id for device_id, _, _ in found})
    assert {b - a for a, b in zip(ids, ids[1:])} == {3}


def media_of(session, batch_id):
    return session.execute(
        sa.select(Device.serial, StorageMedium.serial, StorageMedium.media_type)
        .join(StorageMedium, StorageMedium.device_id == Device.id)
        .where(Device.batch_id == batch_id).order_by(Device.serial)).all()


def test_intake_copies_with_every_trigger_on_so_the_database_checks_each_row(session, world):
    # A row trigger of our own fires for every medium the COPY writes: the load runs in the normal
    # replication role, where the foreign-key triggers (the same mechanism) check every row too.
    needs_postgresql(session)
    session.execute(sa.text("CREATE FUNCTION medium_is_hdd() RETURNS trigger LANGUAGE plpgsql AS "
                            "$$ BEGIN NEW.media_type := 'hdd'; RETURN NEW; END $$"))
    session.execute(sa.text("CREATE TRIGGER medium_is_hdd BEFORE INSERT ON storage_medium "
                            "FOR EACH ROW EXECUTE FUNCTION medium_is_hdd()"))
    reg = register(session, world.acme, chunk_rows=2)
    assert media_of(session, reg.batch.id) == [("S-1", "D-1", "hdd"), ("S-2", "D-2", "hdd")]
    assert session.scalar(sa.text("SELECT current_setting('session_replication_role')")) == "origin"
    with pytest.raises(IntegrityError):
        session.execute(sa.insert(StorageMedium).values(device_id=-1, serial="X", media_type="hdd",
                                                        source="manifest", state="pending"))
    session.rollback()


@pytest.mark.parametrize("extra_rows", [0, 10], ids=["list no longer than the open batches", "list longer"])
def test_open_batch_check_ignores_closed_batches_and_matches_case_insensitively(session, world, extra_rows):
    # The lookup starts from the smaller side (the list or the other open batches): the same answer.
    reg = register(session, world.acme)
    session.commit()
    again = b"Serial\r\ns-1\r\nS-2\r\nS-9\r\n" + b"".join(b"E-%d\r\n" % i for i in range(extra_rows))
    with pytest.raises(Invalid) as refused:
        register(session, world.acme, data=again, reference="PO-2")
    session.rollback()
    assert [(p["row"], p["value"], p["code"]) for p in refused.value.details["problems"]] == [
        (2, "s-1", "serial_in_open_batch"), (3, "S-2", "serial_in_open_batch")]
    assert f"{reg.batch.id} (PO-1)" in refused.value.details["problems"][0]["message"]
    reg.batch.status = "closed"
    session.commit()
    assert register(session, world.acme, data=again, reference="PO-2").created


def test_limits_are_domain_errors_with_the_limit(session, world):
    with pytest.raises(TooLarge) as rows:
        register(session, world.acme, max_rows=2)
    assert rows.value.details == {"limit_rows": 2}
    with pytest.raises(TooLarge) as size:
        register(session, world.acme, max_bytes=10)
    assert size.value.details["limit_bytes"] == 10
    with pytest.raises(Invalid) as empty:
        register(session, world.acme, data=b"Serial,Model\r\n")
    assert empty.value.code == "manifest_empty"


def test_a_second_registration_of_the_same_bytes_racing_the_first_is_a_conflict(session, world):
    """The unique constraint is the referee when find_registered saw nothing yet."""
    register(session, world.acme)
    session.commit()
    original = service.find_registered
    service.find_registered = lambda *a: None  # as if the other request had not committed yet
    try:
        with pytest.raises(Conflict):
            register(session, world.acme)
    finally:
        service.find_registered = original
        session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 1


def test_estimate_rows_is_an_upper_bound_for_csv_and_json():
    assert service.estimate_rows(LIST) == 4
    assert service.estimate_rows(b"Serial\rA\rB\r") == 3
    assert service.estimate_rows(service.rows_as_json_file([{"a": 1}] * 5)) >= 4


def test_cli_import_registers_the_file_with_a_progress_bar(app, world, session, tmp_path):
    path = tmp_path / "acme.csv"
    path.write_bytes(LIST)
    runner = app.test_cli_runner()
    args = ["intake", "import", str(path), "--org", world.acme.org.slug, "--reference", "PO-CLI"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "registered batch" in result.output and "3 devices, 2 storage media" in result.output
    again = runner.invoke(args=args)
    assert "already registered as batch" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Serial,Category\r\nX-1,Lapotp\r\n")
    failed = runner.invoke(args=["intake", "import", str(bad), "--org", world.acme.org.slug, "--reference", "P"])
    assert failed.exit_code != 0 and "row 2, Category: Unknown category 'Lapotp'" in failed.output
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(CustodyEvent)) == 1


def test_the_import_job_registers_the_stored_upload_and_is_safe_to_run_twice(app, world, session):
    from itad.intake.jobs import import_batch
    from itad.jobs import JobContext

    upload_id = documents.storage(session, app.config).put(LIST)
    progress = []
    args = dict(upload_id=upload_id, reference="PO-JOB", filename="j.csv", organization_id=world.acme.org.id,
                created_by_id=world.acme.user.id)
    first = import_batch(JobContext(session, on_progress=lambda d, t: progress.append((d, t))), **args)
    session.commit()
    assert first["created"] is True and first["rows"] == 3
    assert first["links"]["batch"] == f"/api/v1/batches/{first['batch_id']}"
    assert progress[-1] == (3, 4)
    second = import_batch(JobContext(session), **args)
    assert second["created"] is False and second["batch_id"] == first["batch_id"]


def test_an_import_job_refused_for_bad_rows_fails_at_once_and_lists_every_problem(app, world, session):
    from itad.intake.jobs import enqueue_registration

    bad = b"Serial,Category\r\nX-1,Lapotp\r\n,Laptop\r\n"
    job = enqueue_registration(session, documents.storage(session, app.config), bad, organization=world.acme.org,
                               actor=world.acme.user, reference="PO-BAD", filename="bad.csv")
    job_id = job.id
    session.commit()  # inline mode: the job runs after the commit

    session.expire_all()
    job = session.get(Job, job_id)
    assert (job.state, job.attempts) == ("failed", 1)
    problems = job.result["error"]["details"]["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "Category"), (3, "Serial")]
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch)) == 0


@pytest.fixture
def redis_url():
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    return url


def test_a_long_list_with_redis_configured_answers_202_and_a_worker_registers_it(
        app, app_config, database_url, world, session, client, redis_url, tmp_path):
    prefix = f"itad-intake-test-{os.getpid()}-{time.monotonic_ns()}-"
    saved = {k: app.config[k] for k in ("REDIS_URL", "JOB_QUEUE_PREFIX", "INTAKE_ASYNC_ROWS")}
    app.config.update(REDIS_URL=redis_url, JOB_QUEUE_PREFIX=prefix, INTAKE_ASYNC_ROWS=2)
    try:
        import io

        r = client.post("/api/v1/batches", headers=world.acme.headers,
                        data={"file": (io.BytesIO(LIST), "big.csv"), "reference": "PO-BG"})
        assert r.status_code == 202, r.get_json()
        job_id = r.get_json()["job_id"]
        assert r.get_json()["links"]["job"] == f"/api/v1/jobs/{job_id}"
    finally:
        app.config.update(saved)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOB_QUEUE_PREFIX": prefix,
           "SECRET_KEY": "test-worker", "STORAGE_DIR": app_config["STORAGE_DIR"], "PYTHONPATH": str(ROOT),
           "FLASK_APP": ""}
    try:
        done = subprocess.run([sys.executable, "-m", "itad.cli", "worker", "imports", "--burst"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=PATIENCE)
    except subprocess.TimeoutExpired as exc:   # what the worker was doing, for whoever reads the failure
        raise AssertionError(f"the worker did not finish within {PATIENCE} s:\n{(exc.stderr or b'')[-3000:]!r}")
    assert done.returncode == 0, done.stderr[-2000:]
    session.expire_all()
    job = session.get(Job, job_id)
    assert job.state == "succeeded", job.error
    batch = session.get(Batch, job.result["batch_id"])
    assert (batch.reference, batch.device_count, batch.organization_id) == ("PO-BG", 3, world.acme.org.id)
    status = client.get(f"/api/v1/jobs/{job_id}", headers=world.acme.headers)
    assert status.status_code == 200


def test_values_with_tabs_line_breaks_backslashes_and_quotes_are_stored_as_written(session, world):
    """PostgreSQL loads rows as COPY text: these are the characters that text must escape."""
    data = ('Serial,Model,Drive Serial,Note\r\n'
            'E-1,"Latitude\t7490\r\nrev. B",D\\1,"say ""hi"" \\N \\ né"\r\n'
            'E-2,\\N,,\r\n').encode()
    reg = register(session, world.acme, data=data, chunk_rows=1)
    session.commit()
    devices = session.execute(sa.select(Device.serial, Device.model, Device.attributes)
                              .where(Device.batch_id == reg.batch.id).order_by(Device.serial)).all()
    assert devices == [("E-1", "Latitude\t7490\r\nrev. B", {"Note": 'say "hi" \\N \\ né'}), ("E-2", "\\N", None)]
    assert session.scalars(sa.select(StorageMedium.serial).join(Device)
                           .where(Device.batch_id == reg.batch.id)).all() == ["D\\1"]
