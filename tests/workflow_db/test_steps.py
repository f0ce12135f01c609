"""Each bench step through the API, and each refusal saying what state the device is in and what comes first."""

from __future__ import annotations

from tests.workflow_db.conftest import devices_of


def test_a_laptop_goes_from_registered_to_cleared_with_every_step_in_its_custody_log(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    received = bench.receive(world.tech, d.serial)
    assert received["outcome"] == "received" and received["device"]["state"] == "received"
    wiped = bench.wipe(world.tech, d.id, report_text="nwipe log\nErased\n")
    assert wiped["device"]["state"] == "sanitized"
    assert wiped["record"]["effective_method"] == "purge" and len(wiped["record"]["report_sha256"]) == 64
    assert bench.verify(world.tech2, d.id)["device"]["state"] == "verified"
    graded = bench.ok(world.tech, "POST", f"/devices/{d.id}/grade", {"grade": "B", "functional_checks": {"boots": True}})
    assert graded["device"]["state"] == "graded"
    assert bench.ok(world.tech, "POST", f"/devices/{d.id}/clear")["device"]["state"] == "cleared"

    detail = bench.device(world.acme, d.id)
    medium = detail["media"][0]
    assert medium["state"] == "verified"
    assert medium["sanitizations"][0]["tool"] == "nwipe"
    assert medium["verifications"][0]["verifier_id"] == world.tech2.user.id
    assert detail["grading"]["grade"] == "B"
    timeline = bench.ok(world.acme, "GET", f"/devices/{d.id}/custody")["items"]
    assert [e["action"] for e in timeline] == ["receive", "sanitize", "verify", "grade", "clear"]


def test_sanitizing_a_device_not_yet_received_is_refused_with_its_state_and_what_comes_first(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    status, body = bench.post(world.tech, f"/devices/{d.id}/sanitizations",
                              {"method": "purge", "technique": "crypto_erase"})
    assert status == 409
    details = body["error"]["details"]
    assert details["state"] == "registered"
    assert details["allowed"] == ["receive"] and "receive" in details["needs"]


def test_grading_before_verification_is_refused_naming_sanitize_and_verify(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = bench.post(world.tech, f"/devices/{d.id}/grade", {"grade": "A"})
    assert status == 409
    assert body["error"]["details"]["state"] == "received"
    assert "sanitize" in body["error"]["details"]["needs"]


def test_an_overwrite_claimed_as_purge_on_an_ssd_is_downgraded_to_clear_with_the_reason(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    rec = bench.wipe(world.tech, d.id, method="purge", technique="overwrite", passes=1)["record"]
    assert rec["claimed_method"] == "purge" and rec["effective_method"] == "clear"
    assert rec["decision"] == "downgraded" and "Clear" in " ".join(rec["reasons"])


def test_degaussing_an_ssd_is_refused_as_bad_data_with_the_reasons(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = bench.post(world.tech, f"/devices/{d.id}/sanitizations", {"method": "purge", "technique": "degauss"})
    assert status == 422
    assert body["error"]["details"]["state"] == "received"
    assert "flash" in " ".join(body["error"]["details"]["reasons"])


def test_an_unknown_method_name_is_a_422_validation_error(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = bench.post(world.tech, f"/devices/{d.id}/sanitizations", {"method": "nuke", "technique": "shred"})
    assert status == 422 and body["error"]["code"] == "validation_failed"


def test_the_wiper_cannot_verify_their_own_wipe(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    bench.wipe(world.tech, d.id)
    status, body = bench.post(world.tech, f"/devices/{d.id}/verifications", {"passed": True})
    assert status == 409
    assert "four-eyes" in body["error"]["message"] and body["error"]["details"]["state"] == "sanitized"
    assert bench.verify(world.tech2, d.id)["device"]["state"] == "verified"


def test_a_failed_verification_sends_the_medium_back_to_be_wiped_and_then_to_destruction(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/policy", {"rules": {"max_failed_wipes": 2}})
    bench.receive(world.tech, d.serial)
    bench.wipe(world.tech, d.id)
    back = bench.verify(world.tech2, d.id, passed=False)
    assert back["device"]["state"] == "received"
    medium = bench.device(world.tech, d.id)["media"][0]
    assert medium["state"] == "failed" and medium["failed_wipes"] == 1
    bench.wipe(world.tech, d.id, result="failed")        # second failure reaches the limit
    status, body = bench.post(world.tech, f"/devices/{d.id}/sanitizations", {"method": "purge", "technique": "crypto_erase"})
    assert status == 409 and body["error"]["details"]["needs"] == ["destroy"]
    destroyed = bench.ok(world.tech, "POST", f"/devices/{d.id}/destroy", {"technique": "shred", "witness": "J. Doe"})
    assert destroyed["device"]["state"] == "destroyed"
    detail = bench.device(world.tech, d.id)
    assert detail["destruction"]["witness"] == "J. Doe" and detail["media"][0]["state"] == "destroyed"


def test_a_drive_found_at_the_bench_is_added_to_the_device_and_wiped(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    added = bench.ok(world.tech, "POST", f"/devices/{d.id}/sanitizations",
                     {"medium_serial": "EXTRA-HDD-1", "media_type": "hdd", "method": "clear", "technique": "overwrite",
                      "passes": 1, "hidden_areas": "none"})
    assert added["medium_added"] is True
    # the original SSD still waits, so the device is not yet sanitized
    assert added["device"]["state"] == "received"
    media = bench.device(world.tech, d.id)["media"]
    assert {m["serial"]: m["state"] for m in media}["EXTRA-HDD-1"] == "sanitized"
    assert [m["source"] for m in media] == ["manifest", "bench"]


def test_the_transitions_endpoint_lists_what_the_api_will_accept(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    assert bench.ok(world.tech, "GET", f"/devices/{d.id}/transitions")["allowed"] == ["receive"]
    bench.receive(world.tech, d.serial)
    moves = bench.ok(world.tech, "GET", f"/devices/{d.id}/transitions")
    assert moves["state"] == "received" and "sanitize" in moves["allowed"] and "destroy" in moves["allowed"]


def test_clients_cannot_act_on_the_bench(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    status, body = bench.post(world.acme, "/receive", {"serial": d.serial})
    assert status == 403


def test_a_stale_version_is_a_409_with_the_current_state(bench, world, batch, session):
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = bench.post(world.tech, f"/devices/{d.id}/destroy", {"technique": "shred", "version": 1})
    assert status == 409
    assert body["error"]["details"]["state"] == "received" and body["error"]["details"]["version"] == 2


def test_a_medium_of_another_device_is_422_naming_the_state_and_the_media_to_choose_from(bench, world, batch, session):
    # Found by the bench property test: this refusal said the state but not what must come first.
    first, second = devices_of(session, batch)[:2]
    bench.receive(world.tech, first.serial)
    status, body = bench.post(world.tech, f"/devices/{first.id}/sanitizations",
                              {"medium_id": second.media[0].id, "method": "purge", "technique": "crypto_erase"})
    assert status == 422 and body["error"]["code"] == "unknown_medium"
    details = body["error"]["details"]
    assert details["state"] == "received" and details["media"] == [first.media[0].id]
    assert details["needs"] == ["medium_id"]
