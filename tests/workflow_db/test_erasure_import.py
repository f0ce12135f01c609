"""One import for every erasure report: the format is recognised, each drive is applied, rejected or unmatched,
and what was not applied waits in the batch's review queue until a technician matches or dismisses it."""

from __future__ import annotations

import io

import sqlalchemy as sa

from itad.models import CustodyEvent, ErasureReport, ErasureReviewItem
from tests.factories import make_batch
from tests.samples import SAMPLES
from tests.workflow_db.conftest import devices_of

ERASURE = SAMPLES / "erasure"


def _batch_with_drives(session, world, serials, media_type="unknown"):
    batch = make_batch(session, world.acme.org, devices=len(serials))
    session.commit()
    devices = devices_of(session, batch)
    for device, serial in zip(devices, serials):
        device.media[0].serial, device.media[0].media_type = serial, media_type
    session.commit()
    return batch, devices


def _received(bench, world, devices):
    for d in devices:
        bench.receive(world.tech, d.serial)


def _import(bench, party, batch, data: bytes, name="report.txt"):
    return bench.call(party, "POST", f"/batches/{batch.id}/erasure-reports",
                      data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _events(session, batch, action):
    return session.scalars(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id,
                                                         CustodyEvent.action == action)).all()


def test_a_blancco_report_records_each_drive_with_the_facts_it_gives(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["WD-WCC4N1234567", "S3Z8NB0K123456"])
    _received(bench, world, devices)
    data = (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes()
    status, body = _import(bench, world.tech, batch, data, "blancco.xml")
    assert status == 201, body
    assert (body["format"], body["tool"], body["tool_version"]) == ("blancco", "Blancco Drive Eraser", "7.9.0")
    assert [(r["serial"], r["status"]) for r in body["results"]] == [
        ("WD-WCC4N1234567", "applied"), ("S3Z8NB0K123456", "applied")]
    hdd = bench.device(world.tech, devices[0].id)["media"][0]
    assert (hdd["media_type"], hdd["manufacturer"], hdd["model"], hdd["capacity_bytes"]) == (
        "hdd", "Western Digital", "WDC WD10EZEX-08WN4A0", 1_000_204_886_016)
    record = hdd["sanitizations"][0]
    assert (record["source"], record["tool"], record["result"], record["report_sha256"]) == (
        "blancco", "Blancco Drive Eraser", "erased", body["report_sha256"])
    failed = bench.device(world.tech, devices[1].id)["media"][0]
    assert failed["state"] == "failed" and failed["sanitizations"][0]["result"] == "failed"
    (event,) = _events(session, batch, "import_erasure_report")
    assert event.evidence["report_sha256"] == body["report_sha256"] and event.evidence["applied"] == 2
    assert session.get(ErasureReport, body["report_id"]).filename == "blancco.xml"


def test_an_unfinished_sanitize_is_kept_for_review_and_blocks_the_close_until_dismissed(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["49MA23BZK03N"], media_type="nvme")
    _received(bench, world, devices)
    text = ((ERASURE / "nvme" / "libnvme108_nvme_list_2022.txt").read_text() + "$ nvme sanitize-log /dev/nvme0n1\n"
            + (ERASURE / "nvme" / "issue3027_sanitize_log_in_progress_2025.txt").read_text())
    status, body = _import(bench, world.tech, batch, text.encode())
    assert status == 201
    (result,) = body["results"]
    assert result["status"] == "rejected" and "still in progress" in result["reason"]
    assert result["line"].endswith("0x2") and body["review_open"] == 1
    assert bench.device(world.tech, devices[0].id)["media"][0]["sanitizations"] == []     # never "erased"
    review = bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review")
    (item,) = review["items"]
    assert (review["open"], item["kind"], item["applicable"], item["result"]) == (1, "rejected", False, "incomplete")

    status, refused = bench.post(world.tech, f"/batches/{batch.id}/erasure-reports/review/{item['id']}/match",
                                 {"medium_id": devices[0].media[0].id})
    assert status == 409 and refused["error"]["code"] == "nothing_to_apply"

    status, blocked = bench.post(world.admin, f"/batches/{batch.id}/close")
    assert status == 409
    assert any(b.get("review_item_id") == item["id"] for b in blocked["error"]["details"]["blockers"])

    bench.ok(world.tech, "POST", f"/batches/{batch.id}/erasure-reports/review/{item['id']}/dismiss",
             {"reason": "sanitize re-run; its completed log is imported separately"})
    assert bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review")["open"] == 0
    done = bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review?state=dismissed")["items"]
    assert done[0]["resolution"].startswith("sanitize re-run")
    assert len(_events(session, batch, "dismiss_erasure_review")) == 1
    status, again = bench.post(world.tech, f"/batches/{batch.id}/erasure-reports/review/{item['id']}/dismiss",
                               {"reason": "twice"})
    assert status == 409 and again["error"]["code"] == "review_resolved"


def test_an_unmatched_drive_is_matched_by_a_technician_and_recorded_once(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["LISTED-1"])
    _received(bench, world, devices)
    data = (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes()
    body = _import(bench, world.tech, batch, data)[1]
    assert body["unmatched"] == 2 and body["applied"] == 0
    items = bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review")["items"]
    first = next(i for i in items if i["drive"]["serial"] == "WD-WCC4N1234567")
    assert first["kind"] == "unmatched" and "no drive of batch" in first["reason"] and first["applicable"]
    medium_id = devices[0].media[0].id
    done = bench.ok(world.tech, "POST", f"/batches/{batch.id}/erasure-reports/review/{first['id']}/match",
                    {"medium_id": medium_id})
    assert (done["status"], done["medium_id"]) == ("applied", medium_id)
    records = bench.device(world.tech, devices[0].id)["media"][0]["sanitizations"]
    assert len(records) == 1 and records[0]["source"] == "blancco"
    status, _ = bench.post(world.tech, f"/batches/{batch.id}/erasure-reports/review/{first['id']}/match",
                           {"medium_id": medium_id})
    assert status == 409


def test_a_drive_of_another_batch_cannot_be_matched(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["LISTED-2"])
    other, other_devices = _batch_with_drives(session, world, ["LISTED-3"])
    _received(bench, world, devices)
    _import(bench, world.tech, batch, (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes())
    item = bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review")["items"][0]
    status, body = bench.post(world.tech, f"/batches/{batch.id}/erasure-reports/review/{item['id']}/match",
                              {"medium_id": other_devices[0].media[0].id})
    assert status == 422 and body["error"]["code"] == "not_in_batch"
    status, _ = bench.post(world.tech, f"/batches/{other.id}/erasure-reports/review/{item['id']}/dismiss",
                           {"reason": "wrong batch"})
    assert status == 404


def test_a_serial_cut_short_matches_only_the_one_drive_it_can_be(bench, world, session):
    log = (ERASURE / "pr223_truncated_serial_80col_2020.log").read_bytes()
    log += (b"[2020/03/18 01:00:00] notice: Starting pass 1/1, round 1/1, on /dev/sdc\n"
            b"[2020/03/18 02:00:00] notice: Finished final round 1 of 1 on /dev/sdc\n"
            b"[2020/03/18 02:00:01] notice: Nwipe successfully completed.\n")
    unique, devices = _batch_with_drives(session, world, ["WCAS2B123456", "Z1D5K4AB"], media_type="hdd")
    _received(bench, world, devices)
    body = _import(bench, world.tech, unique, log)[1]
    assert body["results"][0]["status"] == "applied" and body["results"][0]["medium_id"] == devices[0].media[0].id
    ambiguous, more = _batch_with_drives(session, world, ["WCAS2B000001", "WMAV20000002"], media_type="hdd")
    _received(bench, world, more)
    body = _import(bench, world.tech, ambiguous, log)[1]
    assert body["results"][0]["status"] == "unmatched" and "2 drives of batch" in body["results"][0]["reason"]


def test_a_workbench_snapshot_is_imported_like_any_report(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["WD-WCAV29008961", "WD-WCAV27984668"], media_type="hdd")
    _received(bench, world, devices)
    body = _import(bench, world.tech, batch, (ERASURE / "erase-sectors-2-hdd.snapshot.yaml").read_bytes())[1]
    assert body["format"] == "workbench" and body["applied"] == 2
    record = bench.device(world.tech, devices[0].id)["media"][0]["sanitizations"][0]
    assert (record["source"], record["technique"]) == ("workbench", "overwrite")


def test_a_file_of_no_known_format_is_refused_and_leaves_nothing(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["X1"])
    status, body = _import(bench, world.tech, batch, b"Asset Tag,Serial\nA1,X1\n")
    assert status == 422 and body["error"]["code"] == "unknown_report_format"
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(ErasureReport)) == 0
    assert _events(session, batch, "import_erasure_report") == []


def test_clients_never_reach_the_queue_and_a_foreign_batch_is_not_found(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["X2"])
    assert bench.call(world.acme, "GET", f"/batches/{batch.id}/erasure-reports/review")[0] == 403
    assert _import(bench, world.acme, batch, b"x")[0] == 403
    status, _ = bench.call(world.tech, "GET", "/batches/999999/erasure-reports/review")
    assert status == 404
    assert session.scalar(sa.select(sa.func.count()).select_from(ErasureReviewItem)) == 0


def test_a_report_that_contradicts_the_list_flags_the_drive_instead_of_overwriting_it(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["WD-WCC4N1234567"], media_type="hdd")
    devices[0].media[0].model = "WDC WD5000AAKX"                  # the list says another model
    session.commit()
    _received(bench, world, devices)
    body = _import(bench, world.tech, batch, (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes())[1]
    assert body["results"][0]["status"] == "applied"
    medium = bench.device(world.tech, devices[0].id)["media"][0]
    assert medium["model"] == "WDC WD5000AAKX"                    # kept, not overwritten
    assert "WDC WD10EZEX-08WN4A0" in medium["review_reason"]
    status, blocked = bench.post(world.admin, f"/batches/{batch.id}/close")
    assert status == 409 and any(b.get("medium_id") == medium["id"] for b in blocked["error"]["details"]["blockers"])


def test_the_same_file_imported_twice_is_refused_the_second_time(bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["WD-WCC4N1234567"], media_type="hdd")
    _received(bench, world, devices)
    data = (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes()
    first = _import(bench, world.tech, batch, data)[1]
    status, body = _import(bench, world.tech, batch, data)
    assert status == 409 and body["error"]["details"]["report_id"] == first["report_id"]
    assert bench.ok(world.tech, "GET", f"/batches/{batch.id}/erasure-reports/review")["open"] == 1


def test_a_labelled_size_on_the_list_agrees_with_the_sectors_a_tool_counts_but_another_size_does_not(
        bench, world, session):
    batch, devices = _batch_with_drives(session, world, ["WD-WCC4N1234567", "S3Z8NB0K123456"], media_type="unknown")
    devices[0].media[0].capacity_bytes = 1000 * 10**9            # "Capacity (GB): 1000" on the list
    devices[1].media[0].capacity_bytes = 1000 * 10**9            # a 500 GB drive listed as 1 TB
    session.commit()
    _received(bench, world, devices)
    _import(bench, world.tech, batch, (ERASURE / "blancco" / "constructed_two_erasures.xml").read_bytes())
    same = bench.device(world.tech, devices[0].id)["media"][0]
    other = bench.device(world.tech, devices[1].id)["media"][0]
    assert same["review_reason"] is None and same["capacity_bytes"] == 1000 * 10**9
    assert "capacity_bytes said 500107862016" in other["review_reason"]
