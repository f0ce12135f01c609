"""Wipe results in bulk and from nwipe logs: each item applied or rejected with its own reason."""

from __future__ import annotations

import io
from pathlib import Path

from itad.models import Device, StorageMedium
from tests.factories import make_batch
from tests.samples import SAMPLES
from tests.workflow_db.conftest import devices_of

DATA = Path(__file__).parent / "data"


def _received(bench, world, session, batch):
    devices = devices_of(session, batch)
    for d in devices:
        bench.receive(world.tech, d.serial)
    return devices


def test_bulk_applies_good_items_and_rejects_bad_ones_each_with_its_reason(bench, world, batch, session):
    devices = _received(bench, world, session, batch)
    media = [d.media[0] for d in devices]
    items = [
        {"medium_id": media[0].id, "method": "purge", "technique": "crypto_erase", "tool": "station"},
        {"medium_serial": media[1].serial.lower(), "method": "clear", "technique": "overwrite", "passes": 1},
        {"medium_id": media[2].id, "method": "purge", "technique": "degauss"},        # degauss on an SSD
        {"medium_id": 999999, "method": "purge", "technique": "crypto_erase"},        # unknown medium
        {"medium_id": media[0].id, "method": "purge", "technique": "crypto_erase"},   # already wiped
        {"method": "purge", "technique": "crypto_erase"},                             # names no medium
        {"medium_id": media[2].id, "method": "obliterate", "technique": "shred"},     # bad method
    ]
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    status = [(r["index"], r["status"]) for r in body["results"]]
    assert status == [(0, "applied"), (1, "applied"), (2, "rejected"), (3, "rejected"), (4, "rejected"),
                      (5, "rejected"), (6, "rejected")]
    reasons = {r["index"]: r["reason"] for r in body["results"]}
    assert "flash" in reasons[2]
    assert "999999" in reasons[3]
    assert "Device is sanitized" in reasons[4]
    assert "medium_id or medium_serial" in reasons[5]
    assert "method" in reasons[6]
    assert body["applied"] == 2 and body["rejected"] == 5
    states = {d.id: bench.device(world.tech, d.id)["state"] for d in devices}
    assert [states[d.id] for d in devices] == ["sanitized", "sanitized", "received"]
    chain = bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")
    assert chain["ok"] and chain["events"] == 5        # 3 receipts + 2 wipes


def test_bulk_results_for_one_device_see_each_other_in_order(bench, world, session):
    batch = make_batch(session, world.acme.org, devices=1, media_per_device=2)
    session.commit()
    (device,) = _received(bench, world, session, batch)
    first, second = device.media
    items = [{"medium_id": first.id, "method": "purge", "technique": "crypto_erase"},
             {"medium_id": second.id, "method": "purge", "technique": "crypto_erase"}]
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    assert [r["state"] for r in body["results"]] == ["received", "sanitized"]
    detail = bench.device(world.tech, device.id)
    # Received at version 2; one version per step applied, as two single wipes would have moved it.
    assert detail["version"] == 4 and detail["state"] == "sanitized"


def test_a_failed_wipe_in_a_bulk_does_not_use_up_the_batchs_one_verification_pick(bench, world, session):
    # Same rule as a single wipe (itad.steps.planning: the batch's pick): a failed wipe leaves nothing to verify.
    batch = make_batch(session, world.acme.org, devices=2)
    session.commit()
    bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy", {"rules": {"verification": "sample", "sample_percent": 0}})
    first, second = _received(bench, world, session, batch)
    items = [{"medium_id": first.media[0].id, "method": "purge", "technique": "crypto_erase", "result": "failed"},
             {"medium_id": second.media[0].id, "method": "purge", "technique": "crypto_erase"}]
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    assert [r["state"] for r in body["results"]] == ["received", "sanitized"]     # the second is the pick
    assert bench.device(world.tech, second.id)["media"][0]["sanitizations"][0]["verification_required"] is True


def test_bulk_is_refused_to_clients(bench, world, batch):
    status, _ = bench.post(world.acme, "/sanitizations/bulk", {"items": [{"medium_id": 1}]})
    assert status == 403


def _nwipe_batch(session, world):
    """A batch whose drives carry the serials the synthetic full run wiped."""
    batch = make_batch(session, world.acme.org, devices=4)
    session.commit()
    serials = ["35H2SCTWS", "Z1D5K4AB", "WCC2EUA12345", "NOT-IN-LOG"]
    for device, serial in zip(devices_of(session, batch), serials):
        device.media[0].serial, device.media[0].media_type = serial, "hdd"
    session.commit()
    return batch


def test_an_nwipe_log_is_matched_to_media_by_serial_and_unmatched_drives_are_reported(bench, world, session):
    batch = _nwipe_batch(session, world)
    devices = _received(bench, world, session, batch)
    log = (DATA / "nwipe_full_run_synthetic.log").read_bytes()
    status, body = bench.call(world.tech, "POST", f"/batches/{batch.id}/erasure-reports",
                              data={"file": (io.BytesIO(log), "nwipe.log")}, content_type="multipart/form-data")
    assert status == 201, body
    by_serial = {r["serial"]: r for r in body["results"]}
    assert by_serial["35H2SCTWS"]["status"] == "applied" and by_serial["35H2SCTWS"]["state"] == "sanitized"
    # sdc: HPA left enabled -> erased with warning: recorded, but the medium is not sanitized
    assert by_serial["Z1D5K4AB"]["status"] == "applied" and by_serial["Z1D5K4AB"]["state"] == "received"
    assert by_serial["WCC2EUA12345"]["status"] == "rejected" and "cancelled" in by_serial["WCC2EUA12345"]["reason"]
    assert [r["drive"] for r in body["results"] if r["status"] == "unmatched"] == ["/dev/sdb"]  # empty S/N
    assert (body["format"], body["unmatched"], body["review_open"]) == ("nwipe", 1, 2)
    record = bench.device(world.tech, devices[0].id)["media"][0]["sanitizations"][0]
    assert (record["source"], record["tool"], record["tool_version"]) == ("nwipe", "nwipe", "0.38")
    assert (record["effective_method"], record["technique"], record["tool_verified"]) == ("clear", "overwrite", True)
    assert record["report_sha256"] == body["report_sha256"]
    warned = bench.device(world.tech, devices[1].id)["media"][0]
    assert warned["state"] == "failed" and warned["sanitizations"][0]["result"] == "erased_with_warning"


def test_real_nwipe_excerpts_without_serials_report_every_drive_unmatched(bench, world, session):
    batch = _nwipe_batch(session, world)
    _received(bench, world, session, batch)
    for name, drives in (("pr325_loop44_single_drive_2021.log", 1), ("pr559_error_summary_verify_failures.log", 18)):
        status, body = bench.call(world.tech, "POST", f"/batches/{batch.id}/erasure-reports",
                                  data=(SAMPLES / "erasure" / name).read_bytes(), content_type="text/plain")
        assert status == 201
        assert body["drives"] == drives and body["applied"] == 0 and body["unmatched"] == drives
        assert body["warnings"]        # fragments say so


def test_an_nwipe_log_sent_as_raw_text_is_stored_content_addressed(bench, world, session, app):
    batch = _nwipe_batch(session, world)
    _received(bench, world, session, batch)
    log = (DATA / "nwipe_full_run_synthetic.log").read_bytes()
    status, body = bench.call(world.tech, "POST", f"/batches/{batch.id}/erasure-reports", data=log,
                              content_type="text/plain")
    assert status == 201
    from itad import documents
    assert documents.storage(session, app.config).get(body["report_sha256"]) == log


def test_bulk_adds_a_drive_found_at_the_bench_to_its_device_and_reports_it_per_item(bench, world, session):
    batch = make_batch(session, world.acme.org, devices=3, media_per_device=1)
    session.commit()
    first, second, third = _received(bench, world, session, batch)
    listed = first.media[0]
    items = [
        # a drive of `first` that was not on the list: added, then wiped
        {"device_id": first.id, "medium_serial": "found-hdd-1", "media_type": "hdd", "medium_model": "WD10EZEX",
         "capacity_bytes": 1_000_000_000_000, "method": "clear", "technique": "overwrite", "passes": 1,
         "hidden_areas": "none"},
        # the listed drive named through its device and serial: matched, not added
        {"device_id": first.id, "medium_serial": listed.serial.lower(), "method": "purge",
         "technique": "crypto_erase"},
        # a found drive whose wipe the machine refuses (degauss cannot purge an SSD): nothing is added
        {"device_id": second.id, "medium_serial": "FOUND-SSD-2", "media_type": "ssd", "method": "purge",
         "technique": "degauss"},
        # a device that is not in an open batch
        {"device_id": 999999, "medium_serial": "X-1", "method": "purge", "technique": "crypto_erase"},
    ]
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    results = body["results"]
    assert [(r["status"], r["medium_added"]) for r in results] == [
        ("applied", True), ("applied", False), ("rejected", False), ("rejected", False)]
    assert results[1]["medium_id"] == listed.id and results[1]["state"] == "sanitized"
    assert "999999" in results[3]["reason"]

    media = {m["serial"]: m for m in bench.device(world.tech, first.id)["media"]}
    found = media["found-hdd-1"]
    assert found["id"] == results[0]["medium_id"] and found["source"] == "bench"
    assert found["media_type"] == "hdd" and found["state"] == "sanitized"
    assert [m["serial"] for m in bench.device(world.tech, second.id)["media"]] == [second.media[0].serial]
    assert session.query(StorageMedium).filter_by(serial="FOUND-SSD-2").count() == 0

    events = bench.ok(world.tech, "GET", f"/devices/{first.id}/custody")["items"]
    assert [e["action"] for e in sorted(events, key=lambda e: e["seq"])] == [
        "receive", "medium_added", "sanitize", "sanitize"]
    assert bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")["ok"]


def test_bulk_adds_no_drive_to_a_device_past_receiving(bench, world, session):
    batch = make_batch(session, world.acme.org, devices=1, media_per_device=1)
    session.commit()
    (device,) = _received(bench, world, session, batch)
    bench.wipe(world.tech, device.id)
    body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": [
        {"device_id": device.id, "medium_serial": "LATE-1", "media_type": "hdd", "method": "clear",
         "technique": "overwrite"}]})
    (result,) = body["results"]
    assert result["status"] == "rejected" and not result["medium_added"]
    assert result["state"] == "sanitized" and "received" in result["reason"]
    assert [m["serial"] for m in bench.device(world.tech, device.id)["media"]] == [device.media[0].serial]
