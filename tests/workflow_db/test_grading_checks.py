"""Grading from the checklist: the grade follows from the checks of the category's scheme; grading otherwise
needs a reason; both are kept with the grading; an admin replaces a category's scheme (audited)."""

from __future__ import annotations

import sqlalchemy as sa

from itad.models import AuditEvent, CustodyEvent, DeviceGrading
from tests.factories import make_batch
from tests.workflow_db.conftest import Bench, devices_of
from workflows.grading import DEFAULT_SCHEMES

PHONE_CHECKS = {c["key"]: True for c in DEFAULT_SCHEMES["phone"]["checks"] if c.get("kind", "pass") == "pass"}


def _verified_phone(session, world, client):
    batch = make_batch(session, world.acme.org, reference="ACME-GRADE", devices=1, category="phone")
    session.commit()
    device = devices_of(session, batch)[0]
    Bench(client, world).wiped_and_verified(world, device)
    return device


def test_the_grade_follows_from_the_checks_and_both_are_kept(session, world, client):
    phone = _verified_phone(session, world, client)
    r = client.post(f"/api/v1/devices/{phone.id}/grade", json={
        "cosmetic": "A", "checks": {**PHONE_CHECKS, "battery_health": 83}}, headers=world.tech.headers)
    assert r.status_code == 200, r.get_json()
    grading = session.scalar(sa.select(DeviceGrading).where(DeviceGrading.device_id == phone.id))
    assert grading.grade == "B" and grading.functional_checks["derived"] == "B"
    assert grading.functional_checks["checks"]["battery_health"] == 83
    event = session.scalar(sa.select(CustodyEvent).where(CustodyEvent.device_id == phone.id,
                                                         CustodyEvent.action == "grade"))
    assert event.evidence["functional_checks"]["missed"] == ["A needs battery_health at least 85 (was 83)"]


def test_grading_otherwise_needs_a_reason_which_is_kept(session, world, client):
    phone = _verified_phone(session, world, client)
    body = {"cosmetic": "A", "checks": {**PHONE_CHECKS, "battery_health": 83}, "grade": "A"}
    refused = client.post(f"/api/v1/devices/{phone.id}/grade", json=body, headers=world.tech.headers)
    assert refused.status_code == 422 and "The checks give B" in refused.get_json()["error"]["message"]
    ok = client.post(f"/api/v1/devices/{phone.id}/grade", json={**body, "override_reason": "battery replaced"},
                     headers=world.tech.headers)
    assert ok.status_code == 200
    grading = session.scalar(sa.select(DeviceGrading).where(DeviceGrading.device_id == phone.id))
    assert (grading.grade, grading.functional_checks["override_reason"]) == ("A", "battery replaced")


def test_an_admin_replaces_a_categorys_scheme(session, world, client):
    scheme = {"checks": [{"key": "powers_on", "label": "Powers on"}],
              "rules": [{"grade": "C", "all_pass": True}, {"grade": "D"}]}
    assert client.put("/api/v1/grading-schemes/phone", json={"definition": scheme},
                      headers=world.tech.headers).status_code == 403
    r = client.put("/api/v1/grading-schemes/Phone", json={"definition": scheme}, headers=world.admin.headers)
    assert r.status_code == 200 and r.get_json()["source"] == "admin"
    got = client.get("/api/v1/grading-schemes/phone", headers=world.tech.headers).get_json()
    assert got["definition"] == scheme
    assert client.get("/api/v1/grading-schemes/monitor", headers=world.tech.headers).status_code == 404
    bad = client.put("/api/v1/grading-schemes/phone", json={"definition": {"checks": [], "rules": []}},
                     headers=world.admin.headers)
    assert bad.status_code == 422
    phone = _verified_phone(session, world, client)
    r = client.post(f"/api/v1/devices/{phone.id}/grade", json={"checks": {"powers_on": True}},
                    headers=world.tech.headers)
    assert r.status_code == 200
    assert session.scalar(sa.select(DeviceGrading.grade).where(DeviceGrading.device_id == phone.id)) == "C"
    assert session.query(AuditEvent).filter_by(action="grading_scheme_changed").count() == 1


def test_the_client_reads_what_the_grade_rests_on(session, world, client, app):
    phone = _verified_phone(session, world, client)
    client.post(f"/api/v1/devices/{phone.id}/grade", json={
        "cosmetic": "A", "checks": {**PHONE_CHECKS, "cameras": False, "battery_health": 90}, "grade": "C",
        "override_reason": "rear camera replaced and tested"}, headers=world.tech.headers)
    from tests.web.conftest import Browser

    page = Browser(app, world.acme.user).text(f"/devices/{phone.id}")
    section = page[page.index("What the grade rests on"):]
    assert "the checks gave D; graded C instead because: rear camera replaced and tested" in section
    assert '<tr class="failed"><td>cameras</td><td>fails</td></tr>' in section


def test_a_phone_is_graded_from_its_checks_and_an_admin_makes_a_laptops_checklist_compulsory(session, world, client):
    phone = _verified_phone(session, world, client)
    alone = client.post(f"/api/v1/devices/{phone.id}/grade", json={"grade": "A"}, headers=world.tech.headers)
    assert alone.status_code == 422 and alone.get_json()["error"]["code"] == "checks_required"
    assert "battery_health" in alone.get_json()["error"]["details"]["checks"]
    batch = make_batch(session, world.acme.org, reference="ACME-LAPTOPS", devices=2)
    session.commit()
    first, second = devices_of(session, batch)
    bench = Bench(client, world)
    for laptop in (first, second):
        bench.wiped_and_verified(world, laptop)
    # The laptop default leaves the checklist optional: a grade by letter is taken...
    bench.ok(world.tech, "POST", f"/devices/{first.id}/grade", {"grade": "B"})
    # ...until an admin's scheme says it is required.
    scheme = {**DEFAULT_SCHEMES["laptop"], "required": True}
    assert client.put("/api/v1/grading-schemes/laptop", json={"definition": scheme},
                      headers=world.admin.headers).status_code == 200
    refused = client.post(f"/api/v1/devices/{second.id}/grade", json={"grade": "B"}, headers=world.tech.headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "checks_required"
    bad = client.put("/api/v1/grading-schemes/laptop", json={"definition": {**scheme, "required": "yes"}},
                     headers=world.admin.headers)
    assert bad.status_code == 422
