"""Admin pages: organizations, users, tokens shown once and revocable, client policy, closing."""

from __future__ import annotations

import re

import sqlalchemy as sa

from itad.models import ApiToken, Device, Organization, User
from itad.steps import policies
from tests.factories import make_batch


def test_an_admin_adds_a_client_and_a_user(session, world, as_user):
    admin = as_user(world.admin.user)
    r = admin.post("/admin/organizations", {"name": "Initech"})
    org = session.scalar(sa.select(Organization).where(Organization.name == "Initech"))
    assert r.status_code == 302 and org.kind == "client"
    admin.post(f"/admin/organizations/{org.id}/users", {"name": "Peter", "email": "Peter@Initech.test",
                                                         "role": "client", "password": "a-long-password"})
    assert session.scalar(sa.select(User).where(User.email == "peter@initech.test")).role == "client"


def test_a_refused_user_shows_the_services_message(world, as_user):
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/organizations/{world.acme.org.id}/users",
                   {"name": "X", "email": "x@acme.test", "role": "technician", "password": "a-long-password"})
    assert r.status_code == 409 and "must have the role client" in r.get_data(as_text=True)


def test_a_new_token_is_shown_once_and_then_only_its_prefix(session, world, as_user):
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/users/{world.acme.user.id}/tokens", {"name": "asset system"})
    plain = re.search(r'id="new-token">(itad_[^<]+)<', r.get_data(as_text=True)).group(1)
    again = admin.text(f"/admin/users/{world.acme.user.id}")
    assert r.status_code == 201 and plain not in again and plain[:12] in again
    assert "Set-Cookie" not in r.headers or plain not in r.headers["Set-Cookie"]


def test_revoking_a_token_stops_it_at_the_api(session, world, as_user, client):
    token_id = session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == world.acme.user.id))
    as_user(world.admin.user).post(f"/admin/tokens/{token_id}/revoke")
    assert client.get("/api/v1/batches", headers=world.acme.headers).status_code == 401


def test_an_admin_sets_a_client_policy_that_the_workflow_then_reads(session, world, as_user):
    as_user(world.admin.user).post(f"/admin/organizations/{world.acme.org.id}/policy", {
        "minimum_method": "purge", "verification": "sample", "sample_percent": "25",
        "verify_all_cleared": "y", "max_failed_wipes": "2", "note": "bank rules"})
    policy = policies.organization_policy(session, world.acme.org.id)
    assert policy.minimum_method.value == "purge" and policy.sample_percent == 25
    assert policy.resale_allowed is False  # an unticked box is a no


def test_closing_an_unsettled_batch_names_the_blocking_devices(session, world, as_user):
    from itad.steps import receiving

    batch = make_batch(session, world.acme.org, reference="CLOSE-1", devices=2)
    session.commit()
    serial = session.scalar(sa.select(Device.serial).where(Device.batch_id == batch.id).order_by(Device.id))
    receiving.receive(session, world.tech.user, serial=serial, batch_id=batch.id)
    session.commit()
    admin = as_user(world.admin.user)
    page = admin.post(f"/admin/batches/{batch.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "The batch cannot close yet; not settled:" in page and f"{serial} (received: finish it" in page
    assert admin.get(f"/batches/{batch.id}").status_code == 200


def test_closing_a_batch_first_says_what_it_will_do_then_marks_never_received_lines_missing(
        session, world, as_user):
    from itad.models import Batch, Job, db

    batch = make_batch(session, world.acme.org, reference="CLOSE-2", devices=2)
    session.commit()
    admin = as_user(world.admin.user)
    r = admin.post(f"/admin/batches/{batch.id}/close")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Close batch CLOSE-2?" in page
    assert "2 device(s) were never received and will be recorded missing." in page
    assert "No signing key is set up: its certificate (2 device(s))" in page and 'name="confirmed" value="1"' in page
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == "open"      # nothing done before the confirmation

    page = admin.post(f"/admin/batches/{batch.id}/close", {"confirmed": "1"},
                      follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == "closed"
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    assert (job.state, job.result["missing"], job.progress_done, job.progress_total) == ("succeeded", 2, 2, 2)
    acme_page = as_user(world.acme.user).text(f"/batches/{batch.id}")
    assert "on the asset list, never received" in acme_page


def test_technicians_cannot_close_batches(session, world, as_user):
    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    assert as_user(world.tech.user).post(f"/admin/batches/{batch.id}/close").status_code == 403


def test_an_admin_edits_a_grading_scheme_on_its_page(session, world, as_user):
    import json

    from itad.steps import grading

    admin = as_user(world.admin.user)
    page = admin.text("/admin/grading-schemes")
    assert "phone <span class=\"muted\">default</span>" in page and "battery_health" in page
    scheme = {"checks": [{"key": "boots", "label": "Boots"}], "rules": [{"grade": "B", "all_pass": True}, {"grade": "D"}]}
    saved = admin.post("/admin/grading-schemes", {"category": "Desktop", "definition": json.dumps(scheme)},
                       follow_redirects=True).get_data(as_text=True)
    assert "The desktop scheme is saved" in saved and grading.scheme_for(session, "desktop") == scheme
    bad = admin.post("/admin/grading-schemes", {"category": "desktop", "definition": "{not json"},
                     follow_redirects=True).get_data(as_text=True)
    assert "The scheme is not valid JSON" in bad
    assert as_user(world.tech.user).get("/admin/grading-schemes").status_code == 403
