"""Pickups in the pages: a client requests one; the operator schedules it, the crew loads sealed containers and
signs the handoff, the dock checks each seal; a broken seal is flashed at the dock and shown to the client."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import current_app

from itad import pickups
from itad.certification import keys
from itad.models import Pickup
from tests.factories import make_batch


def test_a_pickup_goes_through_the_pages_and_the_client_sees_the_broken_seal(session, world, as_user):
    keys.init_key(session, current_app.config, common_name="GreenCycle signing", organization="GreenCycle ITAD")
    batch = make_batch(session, world.acme.org, reference="ACME-PAGES-PU", devices=1)
    session.commit()
    client = as_user(world.acme.user)
    form = client.text("/pickups")
    assert "Request a pickup" in form and "ACME-PAGES-PU" in form
    today = date.today().isoformat()
    r = client.post("/pickups", {"site_address": "1 Bank Street, Leeds", "contact_name": "Pat", "contact_phone": "0113",
                                 "window_start": today, "window_end": today, "expected": "laptop: 40\nloose drives: 12",
                                 "batch_id": str(batch.id)})
    assert r.status_code == 302
    pickup = session.scalar(sa.select(Pickup))
    assert pickup.expected == {"laptop": 40, "loose drives": 12}
    url = f"/pickups/{pickup.id}"
    bad = client.post("/pickups", {"site_address": "x", "contact_name": "y", "contact_phone": "z", "window_start": today,
                                   "window_end": today, "expected": "laptops forty"}, follow_redirects=True)
    assert "category: number" in bad.get_data(as_text=True)
    assert "Schedule" not in client.text(url).split("Sealed containers")[1]        # the crew's forms are not the client's

    admin, tech = as_user(world.admin.user), as_user(world.tech.user)
    admin.post(f"{url}/schedule", {"scheduled_for": today, "crew": "Sam and Lee", "vehicle": "Van 7"})
    for seal in ("S-1", "S-2"):
        tech.post(f"{url}/containers", {"kind": "locked_bin", "seal_number": seal, "pieces": "10", "weight_kg": "90.5"})
    page = tech.post(f"{url}/handoff", {"client_representative": "Pat", "driver": "Dee"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Handoff signed" in text and f"/pickups/{pickup.id}/manifest.pdf" in text
    assert client.get(f"{url}/manifest.pdf").data.startswith(b"%PDF")
    tech.post(f"{url}/move/depart", {})
    tech.post(f"{url}/move/arrive", {})
    session.expire_all()
    first, second = sorted(c.id for c in pickups.containers_of(session, pickup))
    flashed = tech.post(f"{url}/containers/{first}/check", {"seal_read": "S-1", "intact": "0", "note": "tag cut"},
                        follow_redirects=True).get_data(as_text=True)
    assert 'class="flash error"' in flashed and "BROKEN" in flashed
    tech.post(f"{url}/containers/{second}/check", {"seal_read": "S-2", "intact": "1"})
    tech.post(f"{url}/move/reconcile", {})
    seen = client.text(url)
    assert "Seal exceptions" in seen and "arrived broken" in seen and "tag cut" in seen
    assert 'aria-current="step">reconciled' in seen
    assert as_user(world.globex.user).get(url).status_code == 404


def test_a_name_too_long_for_the_bill_of_lading_is_refused_never_cut(session, world, as_user):
    # The pages' maxlength is the browser's to keep; a form sent without it reaches the service, which refuses.
    today = date.today()
    pickup = pickups.request_pickup(session, world.acme.user, site_address="1 Bank Street", contact_name="Pat",
                                    contact_phone="0113", window_start=today, window_end=today)
    session.commit()
    crew = "Sam and Lee " * 20                       # 239 characters once stripped: the crew is at most 200
    said = as_user(world.admin.user).post(f"/pickups/{pickup.id}/schedule", {
        "scheduled_for": today.isoformat(), "crew": crew, "vehicle": "Van"}, follow_redirects=True)
    assert "The crew is at most 200 characters (239 given)." in said.get_data(as_text=True)
    session.expire_all()
    pickup = session.get(Pickup, pickup.id)
    assert pickup.status == "requested" and pickup.crew is None
    from itad.errors import Invalid, bounded
    assert bounded("  Sam  ", "crew", 200) == "Sam" and bounded("   ", "crew", 200) is None
    with pytest.raises(Invalid, match="at most 3 characters"):
        bounded("abcd", "seal", 3)
