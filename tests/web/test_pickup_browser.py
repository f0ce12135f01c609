"""In Debian's Chromium against gunicorn: a client asks for a pickup from its site, the crew loads a sealed
container and signs the handoff, the dock finds the seal broken, and the client reads the exception on its pickup.
Each page visited is saved as a screenshot."""

from __future__ import annotations

from datetime import date

import pytest

from tests.certification.conftest import signing_key  # noqa: F401 (fixture)
from tests.factories import make_batch
from tests.web.conftest import shoot, sign_in

pytestmark = pytest.mark.browser


def test_a_pickup_from_request_to_a_broken_seal_the_client_sees(session, world, signing_key, open_page):  # noqa: F811
    make_batch(session, world.acme.org, reference="PO-PICKUP-UI", devices=1)
    session.commit()
    today = date.today().isoformat()
    client = open_page()
    sign_in(client, world.acme.user)
    client.get_by_role("link", name="Pickups").click()
    client.get_by_label("Site address").fill("1 Bank Street, Leeds LS1 4AB")
    client.get_by_label("Site contact").fill("Pat Facilities")
    client.get_by_label("Contact phone").fill("+44 113 000 0000")
    client.get_by_label("Ready from").fill(today)
    client.get_by_label("Until").fill(today)
    client.get_by_label("Expected, one per line").fill("laptop: 1")
    client.get_by_label("PO-PICKUP-UI").check()
    client.get_by_role("button", name="Request the pickup").click()
    client.get_by_text("requested; you will see here when it is scheduled").wait_for()
    shoot(client, "portal-pickup-requested")
    url = client.url

    crew = open_page()
    sign_in(crew, world.admin.user)
    crew.goto(url)
    crew.get_by_label("Day").fill(today)
    crew.get_by_label("Crew").fill("Sam and Lee")
    crew.get_by_label("Vehicle").fill("Van YX24 ABC")
    crew.get_by_role("button", name="Schedule").click()
    crew.get_by_text(f"Scheduled for {today}.").wait_for()
    crew.get_by_label("Seal number").fill("SEAL-0001")
    crew.get_by_label("Pieces").fill("1")
    crew.get_by_label("Weight (kg)").fill("2.4")
    crew.get_by_role("button", name="Record the container").click()
    crew.get_by_text("Container sealed SEAL-0001 recorded.").wait_for()
    crew.get_by_label("Released by (client's representative)").fill("Pat Facilities")
    crew.get_by_label("Received by (driver)").fill("Dee Driver")
    crew.get_by_role("button", name="Both signed: picked up").click()
    crew.get_by_role("link", name="Bill of lading (signed PDF)").wait_for()
    crew.get_by_role("button", name="Left the site").click()
    crew.get_by_role("button", name="Arrived at our dock").click()
    crew.get_by_label("Seal read").fill("SEAL-0001")
    crew.get_by_label("Condition").select_option("0")
    crew.get_by_role("button", name="Check", exact=True).click()
    crew.get_by_text("Seal SEAL-0001: BROKEN").wait_for()
    shoot(crew, "pickup-seal-broken")

    client.goto(url)
    alert = client.get_by_role("alert").filter(has_text="Seal exceptions")
    assert "SEAL-0001" in alert.inner_text() and "broken" in alert.inner_text()
    shoot(client, "portal-pickup-exception")
