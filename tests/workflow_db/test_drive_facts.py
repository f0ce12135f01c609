"""A drive's facts: listed drives of unknown type are filled by what a wipe says of them, set or corrected by a
person before the wipe, and a contradiction is flagged for review instead of overwriting what was listed."""

from __future__ import annotations

import sqlalchemy as sa

from itad.models import StorageMedium
from tests.factories import make_batch
from tests.workflow_db.conftest import devices_of


def _unknown_drives(session, world, devices=1):
    batch = make_batch(session, world.acme.org, devices=devices)
    session.execute(sa.update(StorageMedium).values(media_type="unknown"))
    session.commit()
    return batch, devices_of(session, batch)


def _events(bench, world, device_id):
    return bench.ok(world.admin, "GET", f"/devices/{device_id}/custody")["items"]


def test_a_crypto_erase_of_a_listed_drive_of_unknown_type_counts_as_purge_once_the_wipe_says_it_is_an_ssd(
        bench, world, session):
    _, (d,) = _unknown_drives(session, world)
    bench.receive(world.tech, d.serial)
    wiped = bench.wipe(world.tech, d.id, media_type="ssd", medium_model="Samsung PM9A1", capacity_bytes=512 * 10**9)
    assert wiped["record"]["effective_method"] == "purge" and wiped["record"]["decision"] == "accepted"
    medium = bench.device(world.acme, d.id)["media"][0]
    assert (medium["media_type"], medium["model"], medium["capacity_bytes"]) == ("ssd", "Samsung PM9A1", 512 * 10**9)
    described = [e for e in _events(bench, world, d.id) if e["action"] == "describe_medium"]
    assert described[0]["evidence"]["set"]["media_type"] == {"was": "unknown", "now": "ssd"}
    assert described[0]["evidence"]["source"] == "api"


def test_without_a_type_the_same_wipe_is_downgraded_and_the_record_says_why(bench, world, session):
    _, (d,) = _unknown_drives(session, world)
    bench.receive(world.tech, d.serial)
    record = bench.wipe(world.tech, d.id)["record"]
    assert record["effective_method"] == "clear" and record["decision"] == "downgraded"
    assert any("unknown" in reason for reason in record["reasons"])


def _received_with_model(bench, world, session, model):
    batch = make_batch(session, world.acme.org, devices=1)
    session.execute(sa.update(StorageMedium).values(model=model))
    session.commit()
    (d,) = devices_of(session, batch)
    bench.receive(world.tech, d.serial)
    return d


def test_a_wipe_that_contradicts_the_listed_model_flags_the_drive_and_keeps_what_was_listed(bench, world, session):
    d = _received_with_model(bench, world, session, "Crucial MX500")
    bench.wipe(world.tech, d.id, medium_model="Samsung 870 EVO")
    medium = bench.device(world.acme, d.id)["media"][0]
    assert medium["model"] == "Crucial MX500"
    assert "Samsung 870 EVO" in medium["review_reason"] and "Crucial MX500" in medium["review_reason"]
    described = [e for e in _events(bench, world, d.id) if e["action"] == "describe_medium"]
    assert described[0]["evidence"]["conflicts"]["model"] == {"stored": "Crucial MX500", "said": "Samsung 870 EVO"}


def test_a_technician_sets_a_drives_type_before_the_wipe_and_cannot_change_it_after(bench, world, session):
    _, (d,) = _unknown_drives(session, world)
    medium_id = d.media[0].id
    bench.receive(world.tech, d.serial)
    body = bench.ok(world.tech, "PUT", f"/devices/{d.id}/media/{medium_id}", {"media_type": "nvme", "version": 2})
    assert body["event"]["action"] == "describe_medium" and body["device"]["version"] == 3
    assert bench.wipe(world.tech, d.id)["record"]["effective_method"] == "purge"
    status, refused = bench.call(world.tech, "PUT", f"/devices/{d.id}/media/{medium_id}", {"media_type": "hdd"})
    assert status == 409 and "before its wipe" in refused["error"]["message"]
    assert bench.device(world.acme, d.id)["media"][0]["media_type"] == "nvme"


def test_a_person_correcting_a_flagged_drive_ends_its_review(bench, world, session):
    d = _received_with_model(bench, world, session, "Crucial MX500")
    status, _ = bench.post(world.tech, f"/devices/{d.id}/sanitizations",
                           {"method": "purge", "technique": "crypto_erase", "medium_model": "Samsung 870 EVO",
                            "result": "failed"})
    assert status == 201
    assert bench.device(world.acme, d.id)["media"][0]["review_reason"]
    bench.ok(world.tech, "PUT", f"/devices/{d.id}/media/{d.media[0].id}", {"model": "Samsung 870 EVO"})
    medium = bench.device(world.acme, d.id)["media"][0]
    assert medium["model"] == "Samsung 870 EVO" and medium["review_reason"] is None


def test_bulk_results_fill_a_drives_type_only_when_the_result_is_applied(bench, world, session):
    batch, (first, second) = _unknown_drives(session, world, devices=2)
    bench.receive(world.tech, first.serial)          # the second stays registered: its result is refused
    items = [{"medium_id": first.media[0].id, "method": "purge", "technique": "crypto_erase", "media_type": "ssd"},
             {"medium_id": second.media[0].id, "method": "purge", "technique": "crypto_erase", "media_type": "ssd"}]
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    assert [r["status"] for r in body["results"]] == ["applied", "rejected"]
    assert bench.device(world.acme, first.id)["media"][0]["media_type"] == "ssd"
    assert bench.device(world.acme, second.id)["media"][0]["media_type"] == "unknown"
    assert not [e for e in _events(bench, world, second.id) if e["action"] == "describe_medium"]


def test_a_drive_under_review_blocks_the_close_until_confirmed_and_after_its_wipe_cannot_be_changed(
        bench, world, session):
    d = _received_with_model(bench, world, session, "Crucial MX500")
    medium_id = d.media[0].id
    bench.wipe(world.tech, d.id, medium_model="Samsung 870 EVO")          # accepted, and the drive flagged
    status, body = bench.post(world.admin, f"/batches/{d.batch_id}/close")
    assert status == 409
    assert any(b.get("medium_id") == medium_id and "settle the facts" in b["needs"]
               for b in body["error"]["details"]["blockers"])
    status, _ = bench.call(world.tech, "PUT", f"/devices/{d.id}/media/{medium_id}", {"model": "Samsung 870 EVO"})
    assert status == 409                                                  # wiped: no other facts now
    confirmed = bench.ok(world.tech, "PUT", f"/devices/{d.id}/media/{medium_id}", {"model": "Crucial MX500"})
    assert confirmed["event"]["evidence"]["review_cleared"]
    medium = bench.device(world.acme, d.id)["media"][0]
    assert medium["model"] == "Crucial MX500" and medium["review_reason"] is None
    status, body = bench.post(world.admin, f"/batches/{d.batch_id}/close")
    assert not any(b.get("medium_id") == medium_id for b in body["error"]["details"]["blockers"])
