"""The bulk endpoint is the single-result endpoint, many times: the same wipes sent both ways to twin
batches end in the same place (each item applied or refused alike, the same states, records and
custody steps), whatever the media, methods, techniques and tool results, and in whatever order.

Bulk applies its results in memory and writes them set-wise; this is the check that it still says what
the one transition function says.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from itad.models import CustodyEvent, Device, SanitizationRecord, StorageMedium
from itad.steps import bulk
from tests.factories import make_batch

MEDIA = ["hdd", "ssd", "nvme", "unknown"]
wipes = st.lists(st.fixed_dictionaries({
    "medium": st.integers(0, 3),          # two devices of two media each
    "method": st.sampled_from(["clear", "purge", "destroy"]),
    "technique": st.sampled_from(["overwrite", "crypto_erase", "block_erase", "degauss", "shred"]),
    "result": st.sampled_from(["erased", "erased", "erased_with_warning", "failed"]),
}), min_size=1, max_size=8)
policies = st.sampled_from([{"verification": "all"},
                            {"verification": "sample", "sample_percent": 0},       # rule 3: the first pick
                            {"verification": "sample", "sample_percent": 100, "minimum_method": "purge"}])


def _twin(session, world, media_types):
    batch = make_batch(session, world.acme.org, devices=2, media_per_device=2)
    devices = session.scalars(sa.select(Device).where(Device.batch_id == batch.id).order_by(Device.id)).all()
    media = []
    for device in devices:
        device.state = "received"
        media += sorted(device.media, key=lambda m: m.id)
    for medium, media_type in zip(media, media_types):
        medium.media_type = media_type
    session.commit()
    return batch, [(m.device_id, m.id) for m in media]


def _versions(session, batch_id):
    session.expire_all()
    return dict(session.execute(sa.select(Device.id, Device.version).where(Device.batch_id == batch_id)).all())


def _end_state(session, batch_id, media):
    """Everything but ids and times, in the order of the twin's media."""
    position = {mid: i for i, (_, mid) in enumerate(media)}
    devices = {did: i for i, did in enumerate(dict.fromkeys(d for d, _ in media))}
    session.expire_all()
    states = [(s, ms) for s, ms in session.execute(
        sa.select(Device.state, StorageMedium.state).join(StorageMedium, StorageMedium.device_id == Device.id)
        .where(Device.batch_id == batch_id).order_by(StorageMedium.id))]
    records = sorted((position[r.medium_id], r.attempt, r.claimed_method, r.effective_method, r.decision, r.technique,
                      r.result, tuple(r.reasons or ()), r.verification_required)
                     for r in session.scalars(sa.select(SanitizationRecord).where(SanitizationRecord.batch_id == batch_id)))
    steps = [(devices[e.device_id], e.action, e.from_state, e.to_state) for e in session.scalars(
        sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch_id).order_by(CustodyEvent.seq))]
    return states, records, steps


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wipes=wipes, policy=policies, media_types=st.lists(st.sampled_from(MEDIA), min_size=4, max_size=4),
       chunk=st.sampled_from([1, 2, 1000]))
def test_bulk_and_single_results_end_the_same(bench, world, session, wipes, policy, media_types, chunk):
    """chunk: how many results bulk applies between two writes (small ones write a device as soon as no
    later item names it, and a device's version must still move once)."""
    one_by_one, one_media = _twin(session, world, media_types)
    in_bulk, bulk_media = _twin(session, world, media_types)
    for batch in (one_by_one, in_bulk):
        bench.ok(world.admin, "PUT", f"/batches/{batch.id}/policy", {"rules": policy})

    single = []
    for w in wipes:
        device_id, medium_id = one_media[w["medium"]]
        status, body = bench.post(world.tech, f"/devices/{device_id}/sanitizations",
                                  {"medium_id": medium_id, "method": w["method"], "technique": w["technique"],
                                   "result": w["result"], "tool": "station"})
        assert status in (201, 409, 422), (status, body)
        single.append("applied" if status == 201 else "rejected")
    items = [{"medium_id": bulk_media[w["medium"]][1], "method": w["method"], "technique": w["technique"],
              "result": w["result"], "tool": "station"} for w in wipes]
    before = _versions(session, in_bulk.id)
    saved, bulk._CHUNK = bulk._CHUNK, chunk
    try:
        body = bench.ok(world.tech, "POST", "/sanitizations/bulk", {"items": items})
    finally:
        bulk._CHUNK = saved

    assert [r["status"] for r in body["results"]] == single
    touched = {bulk_media[w["medium"]][0] for w, r in zip(wipes, body["results"]) if r["status"] == "applied"}
    assert _versions(session, in_bulk.id) == {d: v + (d in touched) for d, v in before.items()}
    assert _end_state(session, in_bulk.id, bulk_media) == _end_state(session, one_by_one.id, one_media)
    for batch in (one_by_one, in_bulk):
        assert bench.ok(world.admin, "GET", f"/batches/{batch.id}/custody/verify")["ok"]
