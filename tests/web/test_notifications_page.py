"""The notifications page: a client adds a webhook endpoint and sees its secret once, removes it, and reads
the latest deliveries with their status; another client sees none of it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from itad.models import Delivery, WebhookEndpoint


def test_a_client_adds_an_endpoint_sees_the_secret_once_and_removes_it(session, world, as_user):
    acme = as_user(world.acme.user)
    r = acme.post("/notifications/webhooks", {"url": "https://assets.acme.example/hooks",
                                               "events": ["certificate_issued", "received_in_full"]})
    page = r.get_data(as_text=True)
    endpoint = session.scalar(sa.select(WebhookEndpoint))
    assert r.status_code == 200 and endpoint.organization_id == world.acme.org.id
    assert endpoint.events == ["certificate_issued", "received_in_full"]
    assert re.search(r'id="new-secret">[0-9a-f]{64}<', page) and endpoint.secret in page
    listing = acme.text("/notifications")
    assert "https://assets.acme.example/hooks" in listing and endpoint.secret not in listing
    assert "batch received in full, certificate issued" in listing or "certificate issued, batch received in full" in listing
    # Another client sees nothing of it, and cannot remove it.
    globex = as_user(world.globex.user)
    assert "assets.acme.example" not in globex.text("/notifications")
    assert globex.post(f"/notifications/webhooks/{endpoint.id}/remove").status_code == 404
    acme.post(f"/notifications/webhooks/{endpoint.id}/remove")
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).active is False
    after = acme.text("/notifications")
    assert "Removed: nothing more is sent to https://assets.acme.example/hooks." in after
    assert "No endpoint yet." in after.split("Add an endpoint")[0]


def test_a_bad_url_is_refused_in_words(session, world, as_user):
    r = as_user(world.acme.user).post("/notifications/webhooks", {"url": "ftp://x.example/h"})
    assert r.status_code == 422 and "The URL must start with https://" in r.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_deliveries_show_their_status_and_last_answer(session, world, as_user):
    session.add(Delivery(organization_id=world.acme.org.id, event="certificate_revoked", payload={}, channel="webhook",
                         target="https://assets.acme.example/hooks", status="failed", attempts=5,
                         last_result="RuntimeError: the endpoint answered HTTP 500"))
    session.add(Delivery(organization_id=world.globex.org.id, event="batch_registered", payload={},
                         channel="webhook", target="https://globex.example/h", status="sent", attempts=1))
    session.commit()
    page = as_user(world.acme.user).text("/notifications")
    deliveries = page.split("Latest deliveries")[1]
    assert "certificate revoked" in deliveries and ">failed<" in deliveries and "HTTP 500" in deliveries
    assert "globex.example" not in deliveries
    assert "globex.example" in as_user(world.admin.user).text("/notifications")
