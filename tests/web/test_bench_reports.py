"""The bench imports an erasure report for a batch and resolves the drives it could not record, through forms."""

from __future__ import annotations

import io

import sqlalchemy as sa

from itad.models import Device, ErasureReviewItem, SanitizationRecord, db
from tests.factories import make_batch
from tests.samples import SAMPLES

BLANCCO = SAMPLES / "erasure" / "blancco" / "constructed_two_erasures.xml"


def _batch(session, world):
    batch = make_batch(session, world.acme.org, reference="REPORTS-1", devices=2)
    devices = session.scalars(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id)).all()
    devices[0].media[0].serial, devices[0].media[0].media_type = "WD-WCC4N1234567", "hdd"
    devices[1].media[0].serial = "NOT-IN-THE-REPORT"
    for d in devices:
        d.state = "received"
    session.commit()
    return batch, devices


def test_a_report_uploaded_at_the_bench_is_recorded_and_its_leftovers_resolved(session, world, as_user):
    batch, devices = _batch(session, world)
    tech = as_user(world.tech.user)
    url = f"/bench/batches/{batch.id}/reports"
    r = tech.post(url, {"file": (io.BytesIO(BLANCCO.read_bytes()), "blancco.xml")},
                  content_type="multipart/form-data")
    assert r.status_code == 302
    page = tech.text(url)
    assert "2 drive(s), 1 recorded, 0 rejected, 1 unmatched" in page
    assert "S3Z8NB0K123456" in page and "no drive of batch" in page and "blancco.xml" in page
    item = session.scalar(sa.select(ErasureReviewItem).where(ErasureReviewItem.batch_id == batch.id))
    tech.post(f"{url}/review/{item.id}/match", {"medium_id": devices[1].media[0].id})
    db.session.expire_all()
    assert db.session.get(ErasureReviewItem, item.id).state == "matched"
    records = db.session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.batch_id == batch.id)).all()
    assert sorted(r.result for r in records) == ["erased", "failed"]
    assert "Nothing to review." in tech.text(url)


def test_dismissing_needs_a_reason(session, world, as_user):
    batch, _ = _batch(session, world)
    tech = as_user(world.tech.user)
    url = f"/bench/batches/{batch.id}/reports"
    tech.post(url, {"file": (io.BytesIO(BLANCCO.read_bytes()), "b.xml")}, content_type="multipart/form-data")
    item = session.scalar(sa.select(ErasureReviewItem).where(ErasureReviewItem.batch_id == batch.id))
    tech.post(f"{url}/review/{item.id}/dismiss", {"reason": ""})
    assert "Say why this drive needs no record" in tech.text(url)
    tech.post(f"{url}/review/{item.id}/dismiss", {"reason": "drive belongs to another client's batch"})
    db.session.expire_all()
    assert db.session.get(ErasureReviewItem, item.id).state == "dismissed"


def test_an_unknown_file_gets_the_reason_and_a_client_gets_no_bench(session, world, as_user):
    batch, _ = _batch(session, world)
    tech = as_user(world.tech.user)
    url = f"/bench/batches/{batch.id}/reports"
    tech.post(url, {"file": (io.BytesIO(b"just,a,csv\n"), "list.csv")}, content_type="multipart/form-data")
    assert "not a report this server reads" in tech.text(url)
    assert as_user(world.acme.user).get(url).status_code == 403
    assert as_user(world.tech.user).get("/bench/batches/999999/reports").status_code == 404
