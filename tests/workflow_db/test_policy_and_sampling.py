"""The client's policy: minimum method, resale, verification sampling; stored append-only."""

from __future__ import annotations

from tests.factories import make_batch
from tests.workflow_db.conftest import devices_of


def _to_graded(bench, world, d):
    bench.receive(world.tech, d.serial)
    bench.wipe(world.tech, d.id)
    bench.verify(world.tech2, d.id)
    bench.ok(world.tech, "POST", f"/devices/{d.id}/grade", {"grade": "C"})


def test_policy_changes_are_new_rows_and_the_latest_wins(bench, world):
    url = f"/organizations/{world.acme.org.id}/policy"
    assert bench.ok(world.acme, "GET", url)["effective"]["minimum_method"] == "clear"   # defaults
    bench.ok(world.admin, "PUT", url, {"rules": {"minimum_method": "purge"}, "note": "contract 2026"})
    body = bench.ok(world.admin, "PUT", url, {"rules": {"minimum_method": "purge", "resale_allowed": False}})
    assert body["effective"]["resale_allowed"] is False and len(body["history"]) == 2
    assert bench.ok(world.acme, "GET", url)["effective"]["minimum_method"] == "purge"   # clients read their own


def test_only_admins_set_policies_and_bad_fields_are_422(bench, world):
    url = f"/organizations/{world.acme.org.id}/policy"
    assert bench.call(world.tech, "PUT", url, json={"rules": {}})[0] == 403
    status, body = bench.call(world.admin, "PUT", url, json={"rules": {"resale_alowed": False}})
    assert status == 422 and "resale_alowed" in body["error"]["message"]


def test_a_client_cannot_read_another_clients_policy(bench, world):
    assert bench.call(world.globex, "GET", f"/organizations/{world.acme.org.id}/policy")[0] == 404


def test_a_wipe_below_the_policy_minimum_is_refused(bench, world, batch, session):
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/policy", {"rules": {"minimum_method": "purge"}})
    d = devices_of(session, batch)[0]
    bench.receive(world.tech, d.serial)
    status, body = bench.post(world.tech, f"/devices/{d.id}/sanitizations", {"method": "clear", "technique": "overwrite"})
    assert status == 422
    assert body["error"]["details"]["minimum_method"] == "purge" and "below the policy minimum" in body["error"]["message"]


def test_when_resale_is_not_allowed_clear_is_refused_and_destroy_is_required(bench, world, batch, session):
    bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy", {"rules": {"resale_allowed": False}})
    d = devices_of(session, batch)[0]
    _to_graded(bench, world, d)
    status, body = bench.post(world.tech, f"/devices/{d.id}/clear")
    assert status == 409
    assert body["error"]["details"]["state"] == "graded" and body["error"]["details"]["needs"] == ["destroy"]
    assert bench.ok(world.tech, "POST", f"/devices/{d.id}/destroy", {"technique": "shred"})["device"]["state"] == "destroyed"


def test_a_batch_override_that_loosens_the_policy_says_so(bench, world, batch):
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/policy", {"rules": {"resale_allowed": False}})
    body = bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy", {"rules": {"resale_allowed": True}})
    assert body["effective"]["resale_allowed"] is True and body["weakens_organization_policy"]


def _one_pick_per_batch(bench, world, session, devices: int) -> list:
    """A batch of Acme's whose policy samples 0%: only the at-least-one-per-batch pick waits for a verifier."""
    batch = make_batch(session, world.acme.org, devices=devices)
    session.commit()
    bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy",
             {"rules": {"verification": "sample", "sample_percent": 0}})
    return devices_of(session, batch)


def test_sampling_verifies_at_least_one_purged_medium_per_batch_and_lets_the_rest_through(bench, world, session):
    devices, states = _one_pick_per_batch(bench, world, session, devices=6), []
    for d in devices:
        bench.receive(world.tech, d.serial)
        states.append(bench.wipe(world.tech, d.id)["device"]["state"])
    # 0%: only the at-least-one-per-batch pick waits for a verifier; the others are verified by sampling
    assert states == ["sanitized"] + ["verified"] * 5
    first = devices[0]
    record = bench.device(world.tech, first.id)["media"][0]["sanitizations"][0]
    assert record["verification_required"] is True
    check = bench.verify(world.tech2, first.id)
    assert check["verification"]["mode"] == "sampled"
    timeline = [e["action"] for e in bench.ok(world.tech, "GET", f"/devices/{devices[1].id}/custody")["items"]]
    assert timeline == ["receive", "sanitize", "skip_verification"]


def test_the_at_least_one_pick_is_not_used_up_by_a_wipe_that_failed_or_failed_its_verification(bench, world, session):
    # A failed wipe, or a wipe whose verification failed, has nothing left to verify: the batch's one pick
    # must move on to the next good wipe, or the batch leaves with no medium verified at all.
    first, second = _one_pick_per_batch(bench, world, session, devices=2)
    bench.receive(world.tech, first.serial)
    assert bench.wipe(world.tech, first.id, result="failed")["device"]["state"] == "received"
    assert bench.wipe(world.tech, first.id)["device"]["state"] == "sanitized"      # the pick, waiting
    assert bench.verify(world.tech2, first.id, passed=False)["device"]["state"] == "received"
    assert bench.wipe(world.tech, first.id)["device"]["state"] == "sanitized"      # picked again
    assert bench.verify(world.tech2, first.id)["device"]["state"] == "verified"
    bench.receive(world.tech, second.serial)
    assert bench.wipe(world.tech, second.id)["device"]["state"] == "verified"      # one pick per batch is enough


def test_the_at_least_one_pick_moves_on_when_its_unit_is_destroyed_before_verification(bench, world, session):
    first, second = _one_pick_per_batch(bench, world, session, devices=2)
    bench.receive(world.tech, first.serial)
    assert bench.wipe(world.tech, first.id)["device"]["state"] == "sanitized"      # the pick, waiting
    bench.ok(world.tech, "POST", f"/devices/{first.id}/destroy", {"technique": "shred"})
    bench.receive(world.tech, second.serial)
    assert bench.wipe(world.tech, second.id)["device"]["state"] == "sanitized"     # picked in its place


def test_cleared_media_are_all_verified_under_sampling(bench, world, batch, session):
    bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy", {"rules": {"verification": "sample", "sample_percent": 0}})
    for d in devices_of(session, batch):
        bench.receive(world.tech, d.serial)
        assert bench.wipe(world.tech, d.id, method="clear", technique="overwrite")["device"]["state"] == "sanitized"
