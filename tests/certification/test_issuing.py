"""Issuing from the database: closing a batch issues a signed certificate pdfsig accepts; the job
is idempotent; re-issue supersedes; revocation is recorded; numbers are unique."""

from __future__ import annotations

import re
import subprocess

import sqlalchemy as sa
from flask import current_app

from itad.certification import content, issuing
from itad.jobs import JobContext
from itad.models import Certificate, CustodyEvent, db
from tests.queries import statements


def pdfsig(tmp_path, pdf: bytes) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def test_closing_a_batch_issues_a_certificate_pdfsig_calls_valid_and_whole(closed, tmp_path):
    cert = closed.certificate
    assert re.fullmatch(r"COS-\d{4}-\d{6}", cert.number)
    pdf = issuing.read_pdf(cert)
    out = pdfsig(tmp_path, pdf)
    assert "Signature is Valid" in out
    assert "Total document signed" in out
    import hashlib
    assert hashlib.sha256(pdf).hexdigest() == cert.sha256


def test_the_certificate_states_the_nist_fields_and_the_exceptions(closed, session):
    doc = __import__("json").loads(issuing.read_json(closed.certificate))
    assert doc["number"] == closed.certificate.number and doc["client"]["name"] == "Acme Bank"
    assert doc["batch"]["reference"] == "ACME-PO-2026-17"
    assert doc["summary"]["total"] == 3
    assert (doc["summary"]["sanitized"], doc["summary"]["destroyed"], doc["summary"]["missing"]) == (1, 1, 1)
    assert doc["summary"]["missing_serials"] == [closed.missing.serial]
    wiped = next(l for l in doc["lines"] if l["device_serial"] == closed.cleared.serial)
    assert (wiped["media_type"], wiped["method_type"], wiped["technique"]) == ("SSD", "Purge", "crypto erase")
    assert (wiped["tool"], wiped["tool_version"], wiped["verification"]) == ("nwipe", "0.37", "full")
    assert wiped["verified_by"] and wiped["verified_by"] != wiped["performed_by"]["name"]
    assert wiped["destination"] == "external reuse"
    shredded = next(l for l in doc["lines"] if l["device_serial"] == closed.destroyed.serial)
    assert (shredded["method_type"], shredded["destination"], shredded["verified_by"]) == ("Destroy", "destruction", "Dana Kim")
    assert doc["pdf_sha256"] == closed.certificate.sha256


def test_running_the_issue_job_twice_gives_one_certificate(closed, session):
    req_id = closed.certificate.request_id
    again = issuing.issue_certificate(JobContext(session), request_id=req_id)
    session.commit()
    assert again["certificate_id"] == closed.certificate.id
    assert session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_reissue_supersedes_and_the_verify_page_links_to_the_successor(closed, bench, world, client, session):
    status, body = bench.post(world.admin, f"/batches/{closed.batch.id}/certificates", {"reason": "asset tag corrected"})
    assert status == 202 and body["supersedes"] == closed.certificate.number
    session.expire_all()
    old = session.get(Certificate, closed.certificate.id)
    new = session.scalars(sa.select(Certificate).where(Certificate.number == body["number"])).one()
    assert (old.status, old.superseded_by_id, new.supersedes_id) == ("superseded", new.id, old.id)
    assert old.sha256 != new.sha256 and issuing.read_pdf(old)  # the old file is still there, untouched
    page = client.get(f"/verify/{old.number}").get_data(as_text=True)
    assert "Superseded" in page and f"/verify/{new.number}" in page
    api = client.get(f"/api/v1/verify/{old.number}").get_json()
    assert api["status"] == "superseded" and api["superseded_by"] == new.number
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.batch_id == closed.batch.id)).all()
    assert actions.count("certificate_issued") == 1 and actions.count("certificate_reissued") == 1


def test_revocation_shows_with_reason_and_date_on_the_verify_page(closed, bench, world, client, session):
    status, body = bench.post(world.admin, f"/certificates/{closed.certificate.id}/revoke",
                              {"reason": "wipe log found incomplete"})
    assert status == 200 and body["status"] == "revoked"
    page = client.get(f"/verify/{closed.certificate.number}").get_data(as_text=True)
    assert "Revoked" in page and "wipe log found incomplete" in page
    api = client.get(f"/api/v1/verify/{closed.certificate.number}").get_json()
    assert api["status"] == "revoked" and api["revoked_at"] and api["revoked_reason"] == "wipe log found incomplete"
    again, err = bench.post(world.admin, f"/certificates/{closed.certificate.id}/revoke", {"reason": "twice"})
    assert again == 409 and err["error"]["code"] == "already_revoked"
    assert "certificate_revoked" in session.scalars(sa.select(CustodyEvent.action)).all()


def test_only_admins_issue_and_revoke(closed, bench, world):
    assert bench.post(world.tech, f"/batches/{closed.batch.id}/certificates", {})[0] == 403
    assert bench.post(world.acme, f"/certificates/{closed.certificate.id}/revoke", {"reason": "x"})[0] == 403


def test_an_open_batch_gets_no_certificate_and_says_why(bench, world, session, signing_key):
    from tests.factories import make_batch

    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    status, body = bench.post(world.admin, f"/batches/{batch.id}/certificates", {})
    assert status == 409 and body["error"]["code"] == "batch_not_closed"


def test_a_device_certificate_is_issued_on_request(closed, bench, world, session, tmp_path):
    status, body = bench.post(world.tech, f"/devices/{closed.cleared.id}/certificates", {})
    assert status == 202
    session.expire_all()
    cert = session.scalars(sa.select(Certificate).where(Certificate.number == body["number"])).one()
    assert (cert.kind, cert.device_id, cert.organization_id) == ("device", closed.cleared.id, world.acme.org.id)
    assert "Signature is Valid" in pdfsig(tmp_path, issuing.read_pdf(cert))
    assert bench.post(world.tech, f"/devices/{closed.missing.id}/certificates", {})[0] == 409


def test_numbers_are_sequential_per_year_and_never_given_twice(session, world):
    numbers = [issuing.next_number(session, 2031) for _ in range(3)]
    session.commit()
    assert numbers == ["COS-2031-000001", "COS-2031-000002", "COS-2031-000003"]
    issuing.next_number(session, 2031)
    session.rollback()  # taken in a transaction that never committed: never issued, so free again
    assert issuing.next_number(session, 2031) == "COS-2031-000004"
    assert issuing.next_number(session, 2032) == "COS-2032-000001"


def test_content_takes_the_same_number_of_queries_for_any_batch_size(session, world, bench, signing_key):
    from tests.factories import make_batch

    counts = []
    for size in (2, 40):
        batch = make_batch(session, world.acme.org, devices=size, media_per_device=2)
        session.commit()
        with statements(db.engine) as sent:
            data = content.certificate_data_for_batch(session, batch.id, "COS-2099-000001",
                                                      content.issuer_from(session, current_app.config))
        assert data.summary.total == size
        counts.append(len(sent))
    assert counts[0] == counts[1] <= 10


def test_a_drives_facts_from_the_bench_reach_the_certificate_lines(session, world, bench, signing_key):
    from itad.models import StorageMedium
    from tests.factories import make_batch

    batch = make_batch(session, world.acme.org, devices=1)
    session.execute(sa.update(StorageMedium).values(manufacturer="Samsung", model="PM9A1", capacity_bytes=512 * 10**9))
    session.commit()
    data = content.certificate_data_for_batch(session, batch.id, "COS-2099-000002",
                                              content.issuer_from(session, current_app.config))
    line = data.lines[0]
    assert (line.medium_make, line.medium_model, line.capacity_bytes) == ("Samsung", "PM9A1", 512 * 10**9)
    assert line.drive().endswith("Samsung PM9A1 · 512 GB")


def test_the_certificate_names_passes_hidden_areas_and_who_verified_when(bench, world, session, signing_key):
    from tests.factories import make_batch
    from tests.workflow_db.conftest import devices_of

    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    (d,) = devices_of(session, batch)
    bench.receive(world.tech, d.serial)
    bench.wipe(world.tech, d.id, method="clear", technique="overwrite", passes=3, hidden_areas="removed")
    bench.verify(world.tech2, d.id)
    data = content.certificate_data_for_batch(session, batch.id, "COS-2099-000003",
                                              content.issuer_from(session, current_app.config), issued_by=world.admin.user)
    line = data.lines[0]
    assert line.how() == "overwrite · 3 passes · hidden areas removed"
    assert line.checked() == f"full · {world.tech2.user.name} · {line.verified_at:%Y-%m-%d}"
    assert data.validator.name == world.tech2.user.name and data.validator.name != world.admin.user.name
