"""The operator's audit log: each admin action an event with who, when, what before and after, and from where,
hash-chained; admins read, export and check it all, a client the events about its own organization."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from flask import current_app

from itad.certification import keys
from itad.models import AuditEvent, db
from tests.append_only import unguarded


def _events(session, action):
    session.expire_all()
    return session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def test_each_admin_action_is_recorded_with_who_what_and_from_where(bench, world, session):
    org = world.acme.org
    bench.ok(world.admin, "PUT", f"/organizations/{org.id}/policy", {"rules": {"minimum_method": "purge"}})
    bench.ok(world.admin, "PUT", f"/organizations/{org.id}/policy", {"rules": {"minimum_method": "clear"}})
    first, second = _events(session, "policy_changed")
    assert second.before == {"rules": first.after["rules"]} and second.after["rules"]["minimum_method"] == "clear"
    assert (second.organization_id, second.actor_id, second.address) == (org.id, world.admin.user.id, "127.0.0.1")

    bench.ok(world.admin, "PUT", f"/organizations/{org.id}/settlement-terms", {"client_share_percent": "70"})
    bench.ok(world.admin, "PUT", f"/organizations/{org.id}/settlement-terms", {"client_share_percent": "65.5"})
    terms = _events(session, "settlement_terms_changed")[-1]
    assert (terms.before["client_share_percent"], terms.after["client_share_percent"]) == ("70.00", "65.50")

    status, user = bench.post(world.admin, "/users", {"organization_id": org.id, "email": "new@acme.test",
                                                      "name": "New Person", "role": "client"})
    assert status == 201
    created = _events(session, "user_created")[-1]
    assert created.after["email"] == "new@acme.test" and created.organization_id == org.id

    status, token = bench.post(world.acme, "/tokens", {"name": "asset system"})
    assert status == 201
    assert _events(session, "token_issued")[-1].actor_id == world.acme.user.id
    bench.ok(world.acme, "DELETE", f"/tokens/{token['id']}")
    revoked = _events(session, "token_revoked")[-1]
    assert revoked.after == {"token_id": token["id"], "revoked": True}


def test_signing_keys_certificate_revocations_and_closes_are_recorded(closed, bench, world, session):
    assert _events(session, "signing_key_created")[-1].after["source"] == "generated"
    assert _events(session, "batch_closed")[-1].organization_id == world.acme.org.id
    keys.rotate_key(session, current_app.config, common_name="Rotated", organization="GreenCycle")
    session.commit()
    rotated = _events(session, "signing_key_rotated")[-1]
    assert rotated.before["active"] and rotated.after["active"] != rotated.before["active"][0]
    assert (rotated.address, rotated.actor_id) == ("cli", None)     # run from the command line, as keys are
    bench.ok(world.admin, "POST", f"/certificates/{closed.certificate.id}/revoke", {"reason": "wrong client"})
    revoked = _events(session, "certificate_revoked")[-1]
    assert revoked.after == {"status": "revoked", "reason": "wrong client"}
    assert revoked.organization_id == world.acme.org.id


def test_the_chain_checks_and_an_edited_event_is_named(bench, world, session):
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/policy", {"rules": {}})
    assert bench.ok(world.admin, "GET", "/audit-log/verify")["ok"] is True
    target = _events(session, "policy_changed")[-1]
    with unguarded(session.connection()):
        session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(actor_label="Nobody"))
    session.commit()
    report = bench.ok(world.admin, "GET", "/audit-log/verify")
    assert report["ok"] is False and report["first_bad_seq"] == target.seq


def test_the_database_refuses_to_change_an_audit_event(bench, world, session):
    with db.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.execute(sa.text("DELETE FROM audit_event"))
        conn.rollback()
    assert "append-only" in str(caught.value.orig)


def test_a_client_reads_only_its_organizations_events_and_the_export_hashes_as_stored(bench, world, session, client):
    bench.ok(world.admin, "PUT", f"/organizations/{world.acme.org.id}/policy", {"rules": {}})
    bench.ok(world.admin, "PUT", f"/organizations/{world.globex.org.id}/policy", {"rules": {}})
    mine = bench.ok(world.acme, "GET", "/audit-log")["items"]
    assert mine and {e["organization_id"] for e in mine} == {world.acme.org.id}
    assert bench.get(world.acme, "/audit-log/verify")[0] == 403
    assert bench.get(world.tech, "/audit-log")[0] == 403
    lines = client.get("/api/v1/audit-log.jsonl", headers=world.admin.headers).get_data(as_text=True).splitlines()
    prev = "0" * 64
    for line in lines:                                    # the whole chain, rehashed from the export alone
        event = json.loads(line)
        stored, given_prev = event.pop("hash"), event.pop("prev_hash")
        assert given_prev == prev
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256((prev + "\n" + canonical).encode()).hexdigest() == stored
        prev = stored
    assert len(lines) == bench.ok(world.admin, "GET", "/audit-log/verify")["events"]


def test_the_page_shows_the_log_and_its_check_to_an_admin(world, as_user):
    page = as_user(world.admin.user).text("/audit-log")
    assert "The chain of" in page and "user created" in page
    assert as_user(world.tech.user).get("/audit-log").status_code == 403
