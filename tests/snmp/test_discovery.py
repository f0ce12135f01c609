"""SNMP probes in the workflow: the API, the `snmp` job (inline here), results, custody events, media, CLI.

Real snmpsim agents on 127.0.0.1 (tests/snmp/conftest.py), a closed port, a UDP server answering garbage.
"""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from itad.discovery import credentials as sealing
from itad.discovery.jobs import probe_assets
from itad.discovery.recording import status_of
from itad.jobs import enqueue
from itad.models import Batch, CustodyEvent, Device, Job, SnmpProbe, SnmpResult, StorageMedium
from itad.snmp import ProbeResult
from tests.snmp.conftest import V3_AUTH_KEY, V3_PRIV_KEY, V3_USER

CISCO, PRINTER, BROTHER, EATON = "cisco-c3560.system+entity", "printer-with-disk", "brother-mfc", "eaton-9PX-partial-walk"
WRONG_AUTH_KEY = "not-the-auth-key"
# Every credential the tests send: none may come back in a response, a row, a job record or a log line.
SECRETS = (CISCO, PRINTER, BROTHER, EATON, "odd-types", "linksys-system", V3_AUTH_KEY, V3_PRIV_KEY, WRONG_AUTH_KEY)


@pytest.fixture
def snmp_app(app):
    keys = ("SNMP_TIMEOUT", "SNMP_RETRIES", "SNMP_MAX_SECONDS")
    saved = {k: app.config[k] for k in keys}
    # Long enough for snmpsim on a loaded machine, short enough that the closed port gives up soon.
    app.config.update(SNMP_TIMEOUT=1.5, SNMP_RETRIES=1, SNMP_MAX_SECONDS=20)
    yield app
    app.config.update(saved)


def make_devices(session, org, **serials) -> tuple[Batch, dict[str, Device]]:
    batch = Batch(organization_id=org.id, reference="NET-2026", device_count=len(serials))
    session.add(batch)
    session.flush()
    devices = {}
    for row, (name, serial) in enumerate(serials.items(), start=2):
        devices[name] = Device(batch_id=batch.id, organization_id=org.id, serial=serial, category="network",
                               manifest_row=row)
        session.add(devices[name])
    session.commit()
    return batch, devices


def v2c(agent, community: str, **target) -> dict:
    return {"address": "127.0.0.1", "port": agent.port,
            "credentials": {"version": "v2c", "community": community}, **target}


def v3(agent, context: str, auth_key: str = V3_AUTH_KEY, **target) -> dict:
    return {"address": "127.0.0.1", "port": agent.port, **target,
            "credentials": {"version": "v3", "user": V3_USER, "auth_key": auth_key, "auth_protocol": "SHA-256",
                            "priv_key": V3_PRIV_KEY, "priv_protocol": "AES", "context": context}}


def post_probe(client, party, targets, **body) -> dict:
    response = client.post("/api/v1/snmp/probes", json={"targets": targets, **body}, headers=party.headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def results_of(session, probe_id: int) -> list[SnmpResult]:
    session.expire_all()
    return list(session.scalars(sa.select(SnmpResult).where(SnmpResult.probe_id == probe_id)
                                .order_by(SnmpResult.position)))


def events(session, action: str) -> list[CustodyEvent]:
    return list(session.scalars(sa.select(CustodyEvent).where(CustodyEvent.action == action)
                                .order_by(CustodyEvent.id)))


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} found in {where}"


def db_dump(session) -> str:
    """Every row of the tables a probe writes, as text."""
    session.expire_all()
    out = []
    for table in ("snmp_probe", "snmp_result", "job", "custody_event", "storage_medium"):
        out += [repr(tuple(row)) for row in session.execute(sa.text(f"SELECT * FROM {table}"))]
    return "\n".join(out)


def test_a_probe_of_many_hosts_reports_each_and_reconciles_the_batch(
        snmp_app, client, session, world, agent, closed_port, garbage_port, caplog):
    caplog.set_level(logging.DEBUG)
    batch, devices = make_devices(session, world.acme.org, switch="FOC1408Z61U", printer="jpbck12345",
                                  mfc="000A5J431816", ups="GX-ON-THE-MANIFEST", spare="SPARE-1")
    targets = [
        v2c(agent, CISCO),
        {"address": "127.0.0.1", "port": closed_port, "credentials": {"version": "2c", "community": CISCO}},
        v3(agent, BROTHER, auth_key=WRONG_AUTH_KEY),
        v2c(agent, PRINTER),
        v2c(agent, EATON, device_id=devices["ups"].id),
        v2c(agent, "linksys-system"),
        {"address": "127.0.0.1", "port": garbage_port, "credentials": {"version": "v1", "community": PRINTER}},
        v3(agent, BROTHER),
        v2c(agent, "odd-types"),
    ]
    accepted = post_probe(client, world.tech, targets, batch_id=batch.id)
    assert accepted["job"]["queue"] == "snmp" and accepted["target_count"] == 9
    assert {r["status"] for r in accepted["results"]} == {"pending"}

    rows = results_of(session, accepted["id"])
    assert [r.status for r in rows] == ["ok", "unreachable", "auth-failed", "ok", "ok", "ok", "garbage", "ok", "ok"]
    assert [r.outcome for r in rows] == ["confirmed", "unidentified", "unidentified", "confirmed", "mismatched",
                                         "unidentified", "unidentified", "confirmed", "unexpected"]
    switch, silent, locked_out, printer, ups, router, junk, mfc, odd = rows
    assert (switch.device_id, switch.chassis_serial, switch.model) == (devices["switch"].id, "FOC1408Z61U",
                                                                     "WS-C3560G-48TS-E")
    assert switch.sys_name == "DUMSYS-04" and switch.sys_object_id == "1.3.6.1.4.1.9.1.617"
    assert switch.sys_uptime == 492446481 and len(switch.entities) == 61
    assert silent.error.startswith("no response") and locked_out.error.startswith("authentication failed")
    assert junk.error.startswith("device answered garbage")
    assert router.sys_descr == "BEFSX41" and router.chassis_serial is None
    assert mfc.device_id == devices["mfc"].id and printer.device_id == devices["printer"].id
    assert (odd.chassis_serial, odd.device_id) == ("SN-ODD-1", None)
    assert "matches no device of this batch" in odd.outcome_message

    # The mismatch names what the manifest says and what the device says.
    assert (ups.manifest_serial, ups.chassis_serial) == ("GX-ON-THE-MANIFEST", "GX13G45099")
    assert "GX-ON-THE-MANIFEST" in ups.outcome_message and "GX13G45099" in ups.outcome_message
    [mismatch] = events(session, "identity_mismatch")
    assert mismatch.device_id == devices["ups"].id
    assert (mismatch.evidence["manifest_serial"], mismatch.evidence["reported_serial"]) == (
        "GX-ON-THE-MANIFEST", "GX13G45099")

    confirmed = events(session, "identity_confirmed")
    assert sorted(e.device_id for e in confirmed) == sorted(devices[n].id for n in ("switch", "printer", "mfc"))
    assert all(e.actor_id == world.tech.user.id and e.evidence["source"] == "snmp" for e in confirmed)
    assert all(e.from_state == e.to_state == "registered" for e in confirmed)  # identity is no state change

    job = client.get(f"/api/v1/jobs/{accepted['job']['id']}", headers=world.tech.headers).get_json()
    assert job["state"] == "succeeded"
    assert job["progress"] == {"done": 9, "total": 9, "percent": 100.0}
    assert job["result"]["statuses"] == {"ok": 6, "unreachable": 1, "auth-failed": 1, "garbage": 1}
    assert job["result"]["outcomes"] == {"confirmed": 3, "unidentified": 4, "mismatched": 1, "unexpected": 1}
    assert job["links"]["results"] == f"/api/v1/snmp/probes/{accepted['id']}"
    verified = client.get(f"/api/v1/batches/{batch.id}/custody/verify", headers=world.admin.headers).get_json()
    assert verified["ok"] and verified["events"] == 4 + 3  # 3 confirmed, 1 mismatch, 3 media of the printer

    # No credential anywhere: responses, the job's record, the rows, the log.
    shown = client.get(f"/api/v1/snmp/probes/{accepted['id']}", headers=world.tech.headers).get_json()
    assert [r["status"] for r in shown["results"]][:3] == ["ok", "unreachable", "auth-failed"]
    for where, text in (("POST response", json.dumps(accepted)), ("GET probe", json.dumps(shown)),
                        ("GET job", json.dumps(job)), ("database", db_dump(session)), ("log", caplog.text)):
        assert_no_secret(text, where)
    assert f"snmp probe {accepted['id']}: 9 host(s)" in caplog.text  # the log was captured, and is clean
    session.expire_all()
    assert "sealed" not in session.get(Job, job["id"]).args  # dropped when the job finished


def test_storage_found_in_a_confirmed_device_becomes_media_to_sanitize_once(snmp_app, client, session, world, agent):
    batch, devices = make_devices(session, world.acme.org, printer="JPBCK12345")
    first = post_probe(client, world.tech, [v2c(agent, PRINTER)], batch_id=batch.id)
    media = session.scalars(sa.select(StorageMedium).where(StorageMedium.device_id == devices["printer"].id)
                            .order_by(StorageMedium.id)).all()
    assert [(m.source, m.media_type, m.state, m.model) for m in media] == [
        ("snmp", "unknown", "pending", "Internal Hard Disk"),
        ("snmp", "unknown", "pending", media[1].model),
        ("snmp", "flash", "pending", "Flash File System"),
    ]
    assert media[0].capacity_bytes == 312500000 * 1024
    [row] = results_of(session, first["id"])
    assert [m["medium_id"] for m in row.media] == [m.id for m in media] and all(m["added"] for m in row.media)
    assert len(events(session, "medium_added")) == 3

    # The workflow now wants each of them wiped: the device's allowed moves name its media.
    device = client.get(f"/api/v1/devices/{devices['printer'].id}", headers=world.tech.headers).get_json()
    assert sorted(m["id"] for m in device["media"]) == sorted(m.id for m in media)

    again = post_probe(client, world.tech, [v2c(agent, PRINTER)], batch_id=batch.id)
    assert session.scalar(sa.select(sa.func.count()).select_from(StorageMedium)) == 3
    assert len(events(session, "medium_added")) == 3 and len(events(session, "identity_confirmed")) == 1
    [row] = results_of(session, again["id"])
    assert row.outcome == "confirmed" and not any(m["added"] for m in row.media)
    assert [m["medium_id"] for m in row.media] == [m.id for m in media]


def test_running_the_same_probe_job_twice_adds_nothing_the_second_time(snmp_app, session, world, agent, app):
    from itad.discovery.probes import request_probe
    from itad.discovery.targets import TargetSpec
    from itad.jobs import JobContext

    batch, devices = make_devices(session, world.acme.org, printer="JPBCK12345")
    spec = TargetSpec("127.0.0.1", agent.port, "2c", devices["printer"].id, {"community": PRINTER})
    probe, sealed = request_probe(session, world.tech.user, [spec], batch_id=batch.id, send_job=False)
    for _ in range(2):  # an attempt repeated after its commit, as a redelivered job would be
        probe_assets(JobContext(session), probe.id, sealed)
        session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(StorageMedium)) == 3
    assert len(events(session, "identity_confirmed")) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(SnmpResult)) == 1


def test_media_are_not_added_to_a_device_past_sanitization(snmp_app, client, session, world, agent):
    batch, devices = make_devices(session, world.acme.org, printer="JPBCK12345")
    devices["printer"].state = "sanitized"
    session.commit()
    probe = post_probe(client, world.tech, [v2c(agent, PRINTER)], batch_id=batch.id)
    [row] = results_of(session, probe["id"])
    assert row.outcome == "confirmed"
    assert session.scalar(sa.select(sa.func.count()).select_from(StorageMedium)) == 0
    assert all(not m["added"] and "device is sanitized" in m["not_added"] for m in row.media)


def test_a_device_id_without_a_batch_reconciles_against_that_devices_batch(snmp_app, client, session, world, agent):
    _, devices = make_devices(session, world.acme.org, switch="FOC1408Z61U")
    probe = post_probe(client, world.tech, [v2c(agent, CISCO, device_id=devices["switch"].id)])
    assert probe["batch_id"] == devices["switch"].batch_id and probe["organization_id"] == world.acme.org.id
    [row] = results_of(session, probe["id"])
    assert (row.outcome, row.device_id) == ("confirmed", devices["switch"].id)


def test_a_probe_without_a_batch_identifies_but_reconciles_nothing(snmp_app, client, session, world, agent):
    probe = post_probe(client, world.tech, [v2c(agent, CISCO)])
    assert probe["organization_id"] == world.operator.id
    [row] = results_of(session, probe["id"])
    assert (row.status, row.chassis_serial, row.outcome) == ("ok", "FOC1408Z61U", None)
    assert session.scalar(sa.select(sa.func.count()).select_from(CustodyEvent)) == 0
    # An operator-only probe is the operator's: a client sees nothing of it.
    assert client.get(f"/api/v1/snmp/probes/{probe['id']}", headers=world.acme.headers).status_code == 404


def test_clients_read_their_own_probes_and_another_clients_ids_are_404(snmp_app, client, session, world, agent):
    batch, devices = make_devices(session, world.acme.org, switch="FOC1408Z61U")
    probe = post_probe(client, world.tech, [v2c(agent, CISCO)], batch_id=batch.id)

    own = client.get(f"/api/v1/snmp/probes/{probe['id']}", headers=world.acme.headers)
    assert own.status_code == 200 and own.get_json()["results"][0]["outcome"] == "confirmed"
    assert own.get_json()["job"]["state"] == "succeeded"
    listed = client.get(f"/api/v1/devices/{devices['switch'].id}/snmp", headers=world.acme.headers).get_json()
    assert [r["chassis_serial"] for r in listed["items"]] == ["FOC1408Z61U"]
    assert_no_secret(own.get_data(as_text=True) + json.dumps(listed), "client's view")

    assert client.get(f"/api/v1/snmp/probes/{probe['id']}", headers=world.globex.headers).status_code == 404
    assert client.get(f"/api/v1/devices/{devices['switch'].id}/snmp", headers=world.globex.headers).status_code == 404
    assert client.get(f"/api/v1/jobs/{probe['job']['id']}", headers=world.globex.headers).status_code == 404
    # Clients read; only operators probe.
    denied = client.post("/api/v1/snmp/probes", json={"targets": [v2c(agent, CISCO)], "batch_id": batch.id},
                         headers=world.acme.headers)
    assert denied.status_code == 403
    # An operator naming a device of one batch and another batch is told so (no write).
    _, other = make_devices(session, world.globex.org, x="X-1")
    mixed = client.post("/api/v1/snmp/probes", json={"targets": [v2c(agent, CISCO, device_id=other["x"].id)],
                                                      "batch_id": batch.id}, headers=world.tech.headers)
    assert mixed.status_code == 422 and mixed.get_json()["error"]["code"] == "snmp_device_not_in_batch"
    missing = client.post("/api/v1/snmp/probes", json={"targets": [v2c(agent, CISCO)], "batch_id": 999999},
                          headers=world.tech.headers)
    assert missing.status_code == 404


def test_bad_targets_are_refused_before_anything_is_written_and_the_refusal_shows_no_secret(
        snmp_app, client, session, world):
    cases = [
        ({"targets": [{"address": "127.0.0.1"}]}, "no credentials"),
        ({"targets": [{"address": "224.0.0.1"}], "credentials": {"community": CISCO}}, "not a single device"),
        ({"targets": [{"address": "10.0.0.1"}], "credentials": {"version": "v3", "user": "u",
                                                                "auth_key": "short"}}, "at least 8"),
        ({"targets": [{"address": "10.0.0.1"}], "credentials": {"version": "v3", "user": "u",
                                                                "priv_key": V3_PRIV_KEY}}, "privacy needs an auth key"),
    ]
    for body, reason in cases:
        response = client.post("/api/v1/snmp/probes", json=body, headers=world.tech.headers)
        assert response.status_code == 422, (body, response.get_json())
        assert reason in response.get_data(as_text=True)
        assert_no_secret(response.get_data(as_text=True), "refusal")
    assert session.scalar(sa.select(sa.func.count()).select_from(SnmpProbe)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_job_that_fails_for_good_drops_its_sealed_credentials(snmp_app, session, world, app):
    from itad.discovery.probes import request_probe
    from itad.discovery.targets import TargetSpec

    probe, _ = request_probe(session, world.tech.user, [TargetSpec("127.0.0.1", 9, "2c", None, {"community": CISCO})],
                             send_job=False)
    # Sealed under another SECRET_KEY: it cannot be opened, so the job fails at once, without retries.
    other = sealing.seal("not-this-installations-key", [{"community": CISCO}])
    job = enqueue(session, probe_assets, probe_id=probe.id, sealed=other, organization_id=world.operator.id)
    session.commit()  # no Redis: the attempts run now, inline
    session.expire_all()
    row = session.get(Job, job.id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert "cannot be decrypted" in row.error
    assert "sealed" not in row.args


def test_status_names_follow_the_probes_error(snmp_app):
    def status(error):
        return status_of(ProbeResult(host="h", ok=error is None, error=error))

    assert status(None) == "ok"
    assert status("no response within 0.5 s (1 retries)") == "unreachable"
    assert status("gave up after 20 s (device too slow); partial data kept") == "timeout"
    assert status("device answered garbage: 3 datagram(s) that are not SNMP") == "garbage"
    assert status("decryption failed (wrong v3 privacy key or protocol)") == "auth-failed"
    assert status("device refused the walk: genErr") == "refused"
    assert status("probe failed unexpectedly: KeyError: 3") == "error"


def test_cli_probes_addresses_prints_each_and_never_echoes_the_community(snmp_app, session, world, agent,
                                                                        closed_port, tmp_path):
    batch, devices = make_devices(session, world.acme.org, switch="FOC1408Z61U")
    listing = tmp_path / "hosts.txt"
    listing.write_text(f"# the lab\n127.0.0.1:{closed_port}\n")
    runner = snmp_app.test_cli_runner()
    result = runner.invoke(args=["snmp", "probe", f"127.0.0.1:{agent.port}", "--file", str(listing),
                                 "--community", "-", "--batch", str(batch.id), "--by", world.tech.user.email],
                           input=f"{CISCO}\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(f"127.0.0.1:{agent.port}\tok\tserial FOC1408Z61U" in line and f"confirmed device {devices['switch'].id}"
               in line for line in lines), result.output
    assert any(f"127.0.0.1:{closed_port}\tunreachable\tno response" in line for line in lines)
    assert "2 host(s), 1 ok, 1 unreachable; 1 confirmed, 1 unidentified" in result.output
    assert_no_secret(result.output, "CLI output")
    assert len(events(session, "identity_confirmed")) == 1


def test_device_text_with_nul_bytes_and_overlong_names_is_stored_on_any_database(snmp_app, client, session, world,
                                                                                agent):
    batch, devices = make_devices(session, world.acme.org, switch="NULSERIAL-1")
    probe = post_probe(client, world.tech, [v2c(agent, "nul-inside")], batch_id=batch.id)
    [row] = results_of(session, probe["id"])
    assert row.status == "ok", row.error
    assert (row.sys_descr, row.chassis_serial, row.model) == ("Switchwith a NUL inside", "NULSERIAL-1", "ModelX")
    assert len(row.sys_name) == 255 and row.entities[0]["descr"] == "Chassisdescr"
    assert (row.outcome, row.device_id) == ("confirmed", devices["switch"].id)
