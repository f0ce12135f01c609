"""GET /api/v1/jobs: people see their own jobs, operators see all, others get 404."""

from __future__ import annotations

from itad.jobs import enqueue
from tests.jobs.sample_jobs import always_fails, count_to


def _two_jobs(session, world):
    mine = enqueue(session, count_to, steps=2, slug="acme-job", organization_id=world.acme.org.id,
                   created_by_id=world.acme.user.id)
    theirs = enqueue(session, always_fails, reason="Nope.", organization_id=world.globex.org.id)
    session.commit()
    return mine.id, theirs.id


def test_a_client_reads_its_own_job_with_state_progress_result_and_links(session, client, world):
    mine, _ = _two_jobs(session, world)

    response = client.get(f"/api/v1/jobs/{mine}", headers=world.acme.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["kind"] == "tests.jobs.sample_jobs.count_to" and body["queue"] == "default"
    assert body["state"] == "succeeded"
    assert body["progress"] == {"done": 2, "total": 2, "percent": 100.0}
    assert body["links"]["self"] == f"/api/v1/jobs/{mine}" and "organization" in body["links"]
    assert body["created_at"].endswith(("+00:00", "Z"))


def test_a_client_gets_404_for_another_clients_job(session, client, world):
    _, theirs = _two_jobs(session, world)

    response = client.get(f"/api/v1/jobs/{theirs}", headers=world.acme.headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_an_operator_sees_every_clients_jobs_and_the_failure_reason(session, client, world):
    _, theirs = _two_jobs(session, world)

    body = client.get(f"/api/v1/jobs/{theirs}", headers=world.tech.headers).get_json()
    assert body["state"] == "failed" and "Nope." in body["error"]
    listed = client.get("/api/v1/jobs", headers=world.admin.headers).get_json()
    assert len(listed["items"]) == 2


def test_the_job_list_holds_only_the_clients_own_jobs_page_by_page(session, client, world):
    ids = [enqueue(session, count_to, steps=1, slug=f"s{i}", organization_id=world.acme.org.id).id
           for i in range(3)]
    enqueue(session, count_to, steps=1, slug="other", organization_id=world.globex.org.id)
    session.commit()

    first = client.get("/api/v1/jobs?limit=2", headers=world.acme.headers).get_json()
    second = client.get(f"/api/v1/jobs?limit=2&cursor={first['next_cursor']}", headers=world.acme.headers).get_json()
    assert [j["id"] for j in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


def test_the_job_list_filters_by_state(session, client, world):
    _two_jobs(session, world)

    body = client.get("/api/v1/jobs?state=failed", headers=world.admin.headers).get_json()
    assert [j["state"] for j in body["items"]] == ["failed"]
