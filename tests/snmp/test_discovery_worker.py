"""The `snmp` job in a real `itad worker` process, through real Redis, against real snmpsim agents."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from itad.jobs.dispatch import redis_connection
from itad.models import CustodyEvent, SnmpResult
from tests.jobs.conftest import PATIENCE, job_row, queue_prefix, queued, workers  # noqa: F401 - fixtures
from tests.snmp.test_discovery import (
    BROTHER, CISCO, WRONG_AUTH_KEY, assert_no_secret, db_dump, make_devices, post_probe, v2c, v3,
)

pytestmark = pytest.mark.redis


def test_a_worker_probes_the_hosts_and_neither_redis_nor_its_log_nor_the_job_holds_a_credential(
        queued, workers, client, session, world, agent, closed_port):
    batch, devices = make_devices(session, world.acme.org, switch="FOC1408Z61U", mfc="000A5J431816")
    targets = [v2c(agent, CISCO), {"address": "127.0.0.1", "port": closed_port, "credentials": {"community": CISCO}},
               v3(agent, BROTHER, auth_key=WRONG_AUTH_KEY), v3(agent, BROTHER)]
    accepted = post_probe(client, world.tech, targets, batch_id=batch.id)
    assert accepted["job"]["state"] == "queued"  # sent to Redis on commit; nothing ran in this process
    job_id = accepted["job"]["id"]
    sealed = job_row(job_id).args["sealed"]
    assert sealed and all(secret not in sealed for secret in (CISCO, WRONG_AUTH_KEY))

    # Redis carries "run job N" only: neither the credentials nor their sealed form.
    conn = redis_connection(queued.config)
    payload = b"".join(k + b"".join(conn.hgetall(k).values()) for k in conn.scan_iter(f"rq:job:itad-job-{job_id}-*"))
    assert payload and sealed.encode() not in payload
    assert_no_secret(payload.decode("latin-1"), "Redis")

    # The silent address costs (1 + retries) x SNMP_TIMEOUT; a healthy snmpsim on a busy machine must never
    # come close to it.
    worker = workers.start("snmp", "--burst", env={"SECRET_KEY": queued.config["SECRET_KEY"],
                                                   "SNMP_TIMEOUT": "3", "SNMP_RETRIES": "1"})
    worker.wait(timeout=PATIENCE)
    job = job_row(job_id)
    assert job.state == "succeeded", (job.error, workers.output())
    assert (job.progress_done, job.progress_total) == (4, 4)
    assert "sealed" not in job.args
    rows = session.scalars(sa.select(SnmpResult).order_by(SnmpResult.position)).all()
    assert [r.status for r in rows] == ["ok", "unreachable", "auth-failed", "ok"]
    assert [r.device_id for r in rows] == [devices["switch"].id, None, None, devices["mfc"].id]
    confirmed = session.scalars(sa.select(CustodyEvent.device_id).where(CustodyEvent.action == "identity_confirmed")).all()
    assert sorted(confirmed) == sorted([devices["switch"].id, devices["mfc"].id])
    assert f"snmp probe {accepted['id']}: 4 host(s)" in workers.output()
    assert_no_secret(workers.output(), "worker log")
    assert_no_secret(db_dump(session), "database")
    shown = client.get(f"/api/v1/jobs/{job_id}", headers=world.acme.headers)  # the batch's client sees it
    assert shown.status_code == 200 and shown.get_json()["result"]["statuses"] == {
        "ok": 2, "unreachable": 1, "auth-failed": 1}
    assert_no_secret(shown.get_data(as_text=True), "job record")
