"""Pickups: a client requests one, the operator schedules it, the crew records sealed containers, the handoff is
signed (a bill of lading pdfsig verifies), the load arrives, each seal is checked at the dock, and the pickup is
reconciled; each handoff a custody event on the batch's chain. A broken or changed seal is an exception the
client sees; a step out of order is a 409 that says what comes first; another client's pickup is a 404."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from itad.models import CustodyEvent, Delivery, Pickup
from tests.certification.conftest import bench, signing_key  # noqa: F401  (the same fixtures)
from tests.factories import make_batch
from tests.queries import statements
from tests.workflow_db.conftest import devices_of
from workflows import pickups as flow

TODAY = date.today()


@pytest.fixture
def requested(session, bench, world):
    batch = make_batch(session, world.acme.org, reference="ACME-SITE-9", devices=2)
    session.commit()
    body = bench.ok(world.acme, "POST", "/pickups", {
        "site_address": "1 Bank Street, Leeds LS1 4AB", "contact_name": "Pat Facilities", "contact_phone": "+44 113 0000",
        "window_start": TODAY.isoformat(), "window_end": (TODAY + timedelta(days=7)).isoformat(),
        "expected": {"laptop": 40, "loose drives": 120}, "loading_notes": "Loading bay B, lift available",
        "batch_ids": [batch.id]})
    return batch, body


def _to_dock(bench, world, pickup_id, seals=("S-1001", "S-1002")):
    bench.ok(world.admin, "POST", f"/pickups/{pickup_id}/schedule",
             {"scheduled_for": TODAY.isoformat(), "crew": "Sam and Lee", "vehicle": "Van YX24 ABC"})
    ids = [bench.ok(world.tech, "POST", f"/pickups/{pickup_id}/containers",
                    {"kind": "locked_bin", "seal_number": s, "pieces": 20, "weight_kg": "182.50"})["id"] for s in seals]
    bench.ok(world.tech, "POST", f"/pickups/{pickup_id}/handoff", {"client_representative": "Pat Facilities",
                                                                   "driver": "Sam Driver"})
    bench.ok(world.tech, "POST", f"/pickups/{pickup_id}/depart", {})
    bench.ok(world.tech, "POST", f"/pickups/{pickup_id}/arrive", {})
    return ids


def test_a_pickup_goes_from_request_to_reconciled_and_each_handoff_is_on_the_batch_chain(
        session, bench, world, requested, signing_key, tmp_path):
    batch, body = requested
    assert body["status"] == "requested" and body["batch_ids"] == [batch.id]
    bench.ok(world.tech, "POST", f"/batches/{batch.id}/lots", {"category": "loose_drives", "stage": "site", "count": 120})
    assert body["expected"] == {"laptop": 40, "loose drives": 120}
    ids = _to_dock(bench, world, body["id"])
    for cid, seal in zip(ids, ("S-1001", "S-1002")):
        bench.ok(world.tech, "POST", f"/pickups/{body['id']}/containers/{cid}/check", {"seal_read": seal, "intact": True})
    bench.receive(world.tech, devices_of(session, batch)[0].serial, batch.id)
    bench.ok(world.tech, "POST", f"/batches/{batch.id}/lots", {"category": "loose_drives", "stage": "dock", "count": 118})
    done = bench.ok(world.admin, "POST", f"/pickups/{body['id']}/reconcile", {})
    assert done["status"] == "reconciled" and done["seal_exceptions"] == 0
    seen = bench.ok(world.acme, "GET", f"/pickups/{body['id']}")
    assert seen["status"] == "reconciled" and seen["client_representative"] == "Pat Facilities"
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.batch_id == batch.id)
                              .order_by(CustodyEvent.seq)).all()
    handoffs = [a for a in actions if a.startswith(("pickup_", "seal_"))]
    assert handoffs == ["pickup_handoff", "pickup_arrived", "seal_checked", "seal_checked", "pickup_reconciled"]
    reconciled = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id,
                                                              CustodyEvent.action == "pickup_reconciled"))
    # Expected 40 laptops and 120 loose drives; one laptop of the batch was received, 118 loose drives counted.
    assert reconciled.evidence["expected_vs_received"] == [
        {"category": "laptop", "expected": 40, "received": 1},
        {"category": "loose drives", "expected": 120, "received": 118}]
    handoff = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id,
                                                           CustodyEvent.action == "pickup_handoff"))
    assert [c["seal"] for c in handoff.evidence["containers"]] == ["S-1001", "S-1002"]
    assert handoff.evidence["driver"] == "Sam Driver" and handoff.evidence["manifest_sha256"] == seen["manifest_sha256"]
    assert bench.ok(world.acme, "GET", f"/batches/{batch.id}/custody/verify")["ok"] is True

    # The bill of lading: both signatories, the seals, and the operator's signature as pdfsig reads it.
    r = bench.client.get(f"/api/v1/pickups/{body['id']}/manifest.pdf", headers=world.acme.headers)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    path = tmp_path / "manifest.pdf"
    path.write_bytes(r.data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    assert "Signature Validation: Signature is Valid." in out.stdout + out.stderr
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "Pat Facilities" in text and "Sam Driver" in text and "S-1002" in text and "365.00" in text
    assert "loose drives" in text and "120" in text         # what the site declared, for the dock to reconcile


def test_a_broken_and_a_changed_seal_are_exceptions_the_client_sees_and_is_told(
        session, bench, world, requested, signing_key, app):
    from tests.notifications.test_notifications import Receiver

    batch, body = requested
    receiver = Receiver()
    app.config["NOTIFY_RETRY_SECONDS"] = 0
    bench.ok(world.acme, "POST", "/webhooks", {"url": receiver.url, "events": ["seal_exception", "pickup_scheduled"]})
    first, second = _to_dock(bench, world, body["id"])
    broken = bench.ok(world.tech, "POST", f"/pickups/{body['id']}/containers/{first}/check",
                      {"seal_read": "S-1001", "intact": False, "note": "tag cut"})
    changed = bench.ok(world.tech, "POST", f"/pickups/{body['id']}/containers/{second}/check",
                       {"seal_read": "S 9999", "intact": True})
    assert (broken["seal_result"], changed["seal_result"]) == ("broken", "mismatched")
    seen = bench.ok(world.acme, "GET", f"/pickups/{body['id']}")
    assert seen["seal_exceptions"] == 2
    assert {c["seal_number"]: c["seal_result"] for c in seen["containers"]} == {"S-1001": "broken", "S-1002": "mismatched"}
    receiver.server.shutdown()
    app.config["NOTIFY_RETRY_SECONDS"] = 2.0
    assert [h["X-ITAD-Event"] for h, _ in receiver.calls] == ["pickup_scheduled", "seal_exception", "seal_exception"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "sent")) == 3
    # A check is never overwritten.
    status, again = bench.post(world.tech, f"/pickups/{body['id']}/containers/{first}/check",
                               {"seal_read": "S-1001", "intact": True})
    assert status == 409 and again["error"]["code"] == "seal_checked"
    reconciled = bench.ok(world.admin, "POST", f"/pickups/{body['id']}/reconcile", {})
    event = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id,
                                                         CustodyEvent.action == "pickup_reconciled"))
    assert reconciled["seal_exceptions"] == 2 and len(event.evidence["seal_exceptions"]) == 2


def test_steps_out_of_order_are_refused_saying_what_comes_first(session, bench, world, requested, signing_key):
    _, body = requested
    pid = body["id"]
    status, out = bench.post(world.tech, f"/pickups/{pid}/handoff", {"client_representative": "P", "driver": "D"})
    assert status == 409 and out["error"]["details"]["needs"] == ["schedule"]
    bench.ok(world.admin, "POST", f"/pickups/{pid}/schedule",
             {"scheduled_for": TODAY.isoformat(), "crew": "Sam", "vehicle": "Van"})
    status, out = bench.post(world.tech, f"/pickups/{pid}/handoff", {"client_representative": "P", "driver": "D"})
    assert status == 409 and "record the sealed containers" in out["error"]["message"]
    status, out = bench.post(world.tech, f"/pickups/{pid}/arrive", {})
    assert status == 409 and "in transit" in out["error"]["message"]
    cid = bench.ok(world.tech, "POST", f"/pickups/{pid}/containers",
                   {"kind": "pallet", "seal_number": "P-1", "pieces": 3, "weight_kg": "40.00"})["id"]
    status, out = bench.post(world.tech, f"/pickups/{pid}/containers/{cid}/check", {"seal_read": "P-1", "intact": True})
    assert status == 409 and out["error"]["details"]["needs"] == ["arrive"]
    status, out = bench.post(world.tech, f"/pickups/{pid}/containers",
                             {"kind": "pallet", "seal_number": "P-1", "pieces": 1, "weight_kg": "1.00"})
    assert status == 409 and out["error"]["code"] == "seal_in_use"
    outside = bench.post(world.admin, f"/pickups/{pid}/schedule",
                         {"scheduled_for": (TODAY + timedelta(days=30)).isoformat(), "crew": "Sam", "vehicle": "Van"})
    assert outside[0] == 422 and outside[1]["error"]["code"] == "outside_window"


def test_the_handoff_needs_a_batch_to_record_it_on_and_a_batch_can_be_named_later(session, bench, world, signing_key):
    body = bench.ok(world.acme, "POST", "/pickups", {
        "site_address": "2 Bank Street", "contact_name": "Pat", "contact_phone": "0113",
        "window_start": TODAY.isoformat(), "window_end": TODAY.isoformat()})
    pid = body["id"]
    bench.ok(world.admin, "POST", f"/pickups/{pid}/schedule", {"scheduled_for": TODAY.isoformat(), "crew": "S",
                                                               "vehicle": "V"})
    bench.ok(world.tech, "POST", f"/pickups/{pid}/containers", {"kind": "gaylord", "seal_number": "G-1", "pieces": 1,
                                                                "weight_kg": "300.00"})
    status, out = bench.post(world.tech, f"/pickups/{pid}/handoff", {"client_representative": "P", "driver": "D"})
    assert status == 409 and "name the batch(es)" in out["error"]["message"]
    later = make_batch(session, world.acme.org, reference="ACME-LATER", devices=0)
    foreign = make_batch(session, world.globex.org, reference="GLOBEX-1", devices=0)
    session.commit()
    assert bench.post(world.acme, f"/pickups/{pid}/batches", {"batch_id": foreign.id})[0] == 404
    assert bench.ok(world.acme, "POST", f"/pickups/{pid}/batches", {"batch_id": later.id})["batch_ids"] == [later.id]
    assert bench.ok(world.tech, "POST", f"/pickups/{pid}/handoff",
                    {"client_representative": "P", "driver": "D"})["status"] == "picked_up"
    status, out = bench.post(world.acme, f"/pickups/{pid}/batches", {"batch_id": later.id})
    assert status == 409


def test_reconciling_needs_every_seal_checked(session, bench, world, requested, signing_key):
    _, body = requested
    first, _ = _to_dock(bench, world, body["id"])
    bench.ok(world.tech, "POST", f"/pickups/{body['id']}/containers/{first}/check", {"seal_read": "S-1001", "intact": True})
    status, out = bench.post(world.admin, f"/pickups/{body['id']}/reconcile", {})
    assert status == 409 and "(1 left)" in out["error"]["message"]


def test_another_clients_pickup_is_a_404_and_clients_cannot_run_the_crews_steps(session, bench, world, requested):
    _, body = requested
    assert bench.get(world.globex, f"/pickups/{body['id']}")[0] == 404
    assert bench.get(world.globex, "/pickups")[1]["items"] == []
    assert bench.post(world.acme, f"/pickups/{body['id']}/schedule",
                      {"scheduled_for": TODAY.isoformat(), "crew": "x", "vehicle": "y"})[0] == 403
    # The client may cancel its own request, with the reason.
    assert bench.post(world.globex, f"/pickups/{body['id']}/cancel", {"reason": "x"})[0] == 404
    cancelled = bench.ok(world.acme, "POST", f"/pickups/{body['id']}/cancel", {"reason": "site closed that week"})
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "site closed that week"


def test_a_request_with_a_foreign_or_travelling_batch_or_a_bad_window_is_refused(session, bench, world, requested):
    batch, _ = requested
    base = {"site_address": "x", "contact_name": "y", "contact_phone": "z", "window_start": TODAY.isoformat(),
            "window_end": TODAY.isoformat()}
    assert bench.post(world.globex, "/pickups", {**base, "batch_ids": [batch.id]})[0] == 404
    status, out = bench.post(world.acme, "/pickups", {**base, "batch_ids": [batch.id]})
    assert status == 409 and out["error"]["code"] == "batch_in_pickup"
    status, out = bench.post(world.acme, "/pickups", {**base, "window_end": (TODAY - timedelta(days=1)).isoformat()})
    assert status == 422 and out["error"]["code"] == "invalid_window"
    assert session.scalar(sa.select(sa.func.count()).select_from(Pickup)) == 1      # nothing half-made


def test_the_steps_as_data():
    assert flow.move(flow.PickupFacts("requested"), "schedule", scheduled_for="2026-12-08", crew="a", vehicle="v") \
        == "scheduled"
    with pytest.raises(flow.PickupRefused, match="crew"):
        flow.move(flow.PickupFacts("requested"), "schedule", scheduled_for="2026-12-08", vehicle="v")
    assert flow.allowed(flow.PickupFacts("scheduled")) == ["schedule", "pick_up", "cancel"]
    with pytest.raises(flow.PickupRefused, match="batch"):
        flow.move(flow.PickupFacts("scheduled", containers=1), "pick_up", client_representative="a", driver="b")
    assert flow.seal_result("S-1001", " s-1001 ", True) == "intact"
    assert flow.seal_result("S-1001", "S-1001", False) == "broken"
    assert flow.seal_result("S-1001", "S-1007", True) == "mismatched"


def test_a_step_taken_on_a_stale_view_of_the_pickup_is_refused(session, bench, world, requested):
    _, body = requested
    step = {"scheduled_for": TODAY.isoformat(), "crew": "Sam", "vehicle": "Van", "version": body["version"]}
    assert bench.ok(world.admin, "POST", f"/pickups/{body['id']}/schedule", step)["version"] == body["version"] + 1
    status, out = bench.post(world.tech, f"/pickups/{body['id']}/schedule", {**step, "crew": "Lee"})
    assert status == 409 and out["error"]["code"] == "concurrent_update"
    assert bench.ok(world.acme, "GET", f"/pickups/{body['id']}")["crew"] == "Sam"


def test_listing_pickups_takes_the_same_number_of_queries_for_one_or_many(session, bench, world):
    from itad.models import db

    def request(n):
        batch = make_batch(session, world.acme.org, reference=f"ACME-LIST-{n}", devices=0)
        session.commit()
        pickup = bench.ok(world.acme, "POST", "/pickups", {
            "site_address": f"{n} Bank Street", "contact_name": "Pat", "contact_phone": "+44 113 0000",
            "window_start": TODAY.isoformat(), "window_end": (TODAY + timedelta(days=7)).isoformat(),
            "batch_ids": [batch.id]})
        bench.ok(world.admin, "POST", f"/pickups/{pickup['id']}/schedule",
                 {"scheduled_for": TODAY.isoformat(), "crew": "Sam and Lee", "vehicle": "Van YX24 ABC"})
        bench.ok(world.tech, "POST", f"/pickups/{pickup['id']}/containers",
                 {"kind": "pallet", "seal_number": f"S-{n}", "pieces": 3, "weight_kg": "40.00"})
        return batch.id

    def listed():
        with statements(db.engine) as sent:
            items = bench.ok(world.acme, "GET", "/pickups")["items"]
        return items, len(sent)

    first = request(1)
    one, few = listed()
    later = [request(n) for n in range(2, 7)]
    six, many = listed()
    assert len(one) == 1 and len(six) == 6 and few == many
    assert [p["batch_ids"] for p in six] == [[b] for b in reversed([first, *later])]
    assert all(len(p["containers"]) == 1 for p in six)

