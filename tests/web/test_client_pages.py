"""What a client reads in the portal: a device's own page, search across its batches, pages both ways,
the custody timeline filtered and paged, plain words for codes, counts that agree, revoked certificates."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from itad.steps import receiving
from tests.factories import make_batch
from tests.inventory.conftest import clear
from tests.workflow_db.conftest import Bench, devices_of


@pytest.fixture
def bench(client, world):
    return Bench(client, world)


def test_a_client_opens_a_device_and_reads_each_wipe_its_verifier_grade_and_custody(
        session, world, bench, as_user):
    batch = make_batch(session, world.acme.org, reference="ACME-DEV", devices=1)
    device = devices_of(session, batch)[0]
    session.commit()
    clear(bench, world, device, grade="A")
    page = as_user(world.acme.user).text(f"/devices/{device.id}")
    drive = device.media[0].serial
    assert f"Drive {drive}" in page
    # The wipe in words: method, technique, tool and version, result, who wiped, who verified.
    wipe = re.search(r'<table class="wipes">.*?</table>', page, re.S).group(0)
    for text in ("Purge", "Cryptographic erase", "nwipe 0.37", "erased", world.tech.user.name,
                 f"passed by {world.tech2.user.name}"):
        assert text in wipe, text
    assert "crypto_erase" not in wipe
    assert "A <span" in page and "cleared for resale" in page
    # Its custody events, each naming the drive and the result.
    assert f"Wipe of drive {drive}: Purge by Cryptographic erase, erased" in page
    assert f"Verification of drive {drive}: passed" in page and "Graded A" in page


def test_the_batch_table_links_each_serial_to_the_device_page(session, world, as_user):
    batch = make_batch(session, world.acme.org, reference="ACME-LINKS", devices=2)
    session.commit()
    page = as_user(world.acme.user).text(f"/batches/{batch.id}")
    for device in devices_of(session, batch):
        assert f'href="/devices/{device.id}">{device.serial}</a>' in page


def test_another_clients_device_is_the_404_page(session, world, as_user):
    batch = make_batch(session, world.acme.org, reference="ACME-HIDDEN", devices=1)
    device = devices_of(session, batch)[0]
    session.commit()
    globex = as_user(world.globex.user)
    assert globex.get(f"/devices/{device.id}").status_code == 404
    assert globex.get(f"/devices/{device.id + 1000}").status_code == 404
    # Nor does search find it.
    assert device.serial not in globex.text(f"/search?q={device.serial[:6]}")


def test_search_finds_serials_and_asset_tags_across_the_clients_batches(session, world, as_user):
    first = make_batch(session, world.acme.org, reference="ACME-S1", devices=2)
    second = make_batch(session, world.acme.org, reference="ACME-S2", devices=1)
    tagged = devices_of(session, second)[0]
    tagged.asset_tag = "BANK-TAG-0042"
    devices_of(session, first)[0].asset_tag = "BANK-TAG-0041"
    session.commit()
    acme = as_user(world.acme.user)
    page = acme.text("/search?q=bank-tag-004")
    assert "ACME-S1" in page and "ACME-S2" in page and "BANK-TAG-0042" in page
    # One match opens the device at once.
    found = acme.get("/search?q=BANK-TAG-0042")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/devices/{tagged.id}")
    assert "No device of yours" in acme.text("/search?q=NOPE-404")


def test_device_pages_go_forward_and_back(session, world, as_user, monkeypatch):
    from itad.batches import portal_pages

    monkeypatch.setattr(portal_pages, "DEVICE_PAGE", 4)
    batch = make_batch(session, world.acme.org, reference="ACME-PAGES", devices=10)
    serials = [d.serial for d in devices_of(session, batch)]
    session.commit()
    acme = as_user(world.acme.user)
    first = acme.text(f"/batches/{batch.id}")
    assert serials[3] in first and serials[4] not in first and 'rel="prev"' not in first
    second_url = re.search(r'href="([^"]*after=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = acme.text(second_url)
    assert serials[4] in second and serials[7] in second and serials[3] not in second
    back_url = re.search(r'href="([^"]*before=\d+[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    back = acme.text(back_url)
    assert serials[0] in back and serials[3] in back and serials[4] not in back
    assert ">First</a>" in second


def test_the_timeline_is_paged_and_filtered_by_event_and_serial(session, world, as_user, monkeypatch):
    from itad.batches import portal_pages

    monkeypatch.setattr(portal_pages, "TIMELINE_PAGE", 3)
    batch = make_batch(session, world.acme.org, reference="ACME-TL", devices=5)
    serials = [d.serial for d in devices_of(session, batch)]
    for serial in serials:
        receiving.receive(session, world.tech.user, serial=serial, batch_id=batch.id)
    receiving.receive(session, world.tech.user, serial="STRAY-77", batch_id=batch.id)
    session.commit()
    acme = as_user(world.acme.user)
    page = acme.text(f"/batches/{batch.id}")
    timeline = page[page.index('id="custody-h"'):]
    assert timeline.count("<li") == 3 and 'rel="next"' in timeline
    only = acme.text(f"/batches/{batch.id}?event=found_unexpected")
    timeline = only[only.index('id="custody-h"'):]
    assert timeline.count("<li") == 1 and "STRAY-77" in timeline
    one = acme.text(f"/batches/{batch.id}?event_serial={serials[2]}")
    timeline = one[one.index('id="custody-h"'):]
    assert timeline.count("<li") == 1 and serials[2] in timeline


def test_counts_agree_and_states_are_in_words(session, world, as_user):
    batch = make_batch(session, world.acme.org, reference="ACME-COUNT", devices=3)
    serials = [d.serial for d in devices_of(session, batch)]
    receiving.receive(session, world.tech.user, serial=serials[0], batch_id=batch.id)
    receiving.receive(session, world.tech.user, serial="EXTRA-1", batch_id=batch.id)
    session.commit()
    page = as_user(world.acme.user).text(f"/batches/{batch.id}")
    # 3 lines + 1 found = 4 units and 4 table rows.
    assert "<dd>4 <span" in page and "3 on the asset list, 1 found at receiving" in page
    assert page.count('<tr>\n        <td>') == 4
    assert "0 of 4 finished" in page
    assert "not on the asset list" in page and "expected, not yet received" in page
    assert "% settled" not in page and ">registered<" not in page


def test_the_device_page_shows_the_lists_other_columns_as_written(session, world, as_user):
    batch = make_batch(session, world.acme.org, reference="ACME-ATTR", devices=1, category="phone")
    device = devices_of(session, batch)[0]
    device.attributes = {"IMEI": "490154203237518", "Colour": "Blue"}
    session.commit()
    page = as_user(world.acme.user).text(f"/devices/{device.id}")
    assert "<dt>IMEI</dt><dd>490154203237518</dd>" in page and "<dt>Colour</dt><dd>Blue</dd>" in page
