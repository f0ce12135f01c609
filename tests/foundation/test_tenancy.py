"""A client never sees another client's data: a foreign id answers exactly like a missing one."""

from tests.factories import make_batch


def test_client_lists_only_its_own_batches(client, session, world):
    mine = make_batch(session, world.acme.org, devices=2)
    make_batch(session, world.globex.org, devices=2)
    session.commit()
    body = client.get("/api/v1/batches", headers=world.acme.headers).get_json()
    assert [b["id"] for b in body["items"]] == [mine.id]
    assert body["items"][0]["state_counts"] == {"registered": 2}


def test_foreign_batch_answers_404_like_a_missing_one(client, session, world):
    theirs = make_batch(session, world.globex.org, devices=1)
    session.commit()
    foreign = client.get(f"/api/v1/batches/{theirs.id}", headers=world.acme.headers)
    missing = client.get(f"/api/v1/batches/{theirs.id + 1000}", headers=world.acme.headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json()["error"]["code"] == missing.get_json()["error"]["code"] == "not_found"
    assert str(theirs.id) in foreign.get_json()["error"]["message"]


def test_foreign_batch_devices_and_device_answer_404(client, session, world):
    theirs = make_batch(session, world.globex.org, devices=1)
    session.commit()
    device_id = theirs.id and session.execute(
        __import__("sqlalchemy").text("select id from device where batch_id=:b"), {"b": theirs.id}
    ).scalar()
    assert client.get(f"/api/v1/batches/{theirs.id}/devices", headers=world.acme.headers).status_code == 404
    assert client.get(f"/api/v1/devices/{device_id}", headers=world.acme.headers).status_code == 404
    assert client.get(f"/api/v1/devices/{device_id}", headers=world.globex.headers).status_code == 200


def test_operator_staff_see_every_client(client, session, world):
    a = make_batch(session, world.acme.org)
    g = make_batch(session, world.globex.org)
    session.commit()
    ids = {b["id"] for b in client.get("/api/v1/batches", headers=world.tech.headers).get_json()["items"]}
    assert ids == {a.id, g.id}


def test_device_listing_filters_and_pages_with_a_cursor(client, session, world):
    batch = make_batch(session, world.acme.org, devices=5)
    session.commit()
    url = f"/api/v1/batches/{batch.id}/devices"
    first = client.get(url + "?limit=2", headers=world.acme.headers).get_json()
    second = client.get(url + f"?limit=2&cursor={first['next_cursor']}", headers=world.acme.headers).get_json()
    third = client.get(url + f"?limit=2&cursor={second['next_cursor']}", headers=world.acme.headers).get_json()
    serials = [d["serial"] for page in (first, second, third) for d in page["items"]]
    assert len(serials) == len(set(serials)) == 5
    assert third["next_cursor"] is None
    prefix = serials[3][:-1].lower()
    hits = client.get(url + f"?serial={prefix}", headers=world.acme.headers).get_json()["items"]
    assert {d["serial"] for d in hits} == {s for s in serials if s.lower().startswith(prefix)}
    assert client.get(url + "?state=received", headers=world.acme.headers).get_json()["items"] == []


def test_a_cursor_that_is_not_a_number_is_a_422(client, session, world):
    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    r = client.get(f"/api/v1/batches/{batch.id}/devices?cursor=bm9wZQ", headers=world.acme.headers)
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == "cursor"
