"""The bench through its forms: only allowed steps are offered, each step is one form post, and a
refused step comes back as the workflow's own message."""

from __future__ import annotations

import sqlalchemy as sa

from itad.models import Device, db
from tests.factories import make_batch


def _device(session, world, category="laptop"):
    batch = make_batch(session, world.acme.org, reference="BENCH-1", devices=1, category=category)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id))
    session.commit()
    return device


def _state(device_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Device, device_id).state


def _version(device_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Device, device_id).version


def test_scanning_a_serial_opens_its_device(session, world, as_user):
    device = _device(session, world)
    r = as_user(world.tech.user).get(f"/bench/scan?code={device.serial.lower()}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/bench/devices/{device.id}")


def test_an_unknown_serial_offers_to_record_it_as_unexpected(session, world, as_user):
    _device(session, world)
    tech = as_user(world.tech.user)
    r = tech.get("/bench/scan?code=NOPE123")
    assert r.status_code == 404 and "Record NOPE123 as unexpected" in r.get_data(as_text=True)
    batch_id = session.scalar(sa.select(Device.batch_id))
    r = tech.post("/bench/unexpected", {"serial": "NOPE123", "batch_id": batch_id})
    found = session.scalar(sa.select(Device).where(Device.serial == "NOPE123"))
    assert found.state == "unexpected" and r.headers["Location"].endswith(f"/bench/devices/{found.id}")


def test_a_registered_device_offers_receive_and_nothing_else(session, world, as_user):
    device = _device(session, world)
    page = as_user(world.tech.user).text(f"/bench/devices/{device.id}")
    assert f"/bench/devices/{device.id}/receive" in page
    assert "Record wipe" not in page and "Grade" not in page and "Destroy physically" not in page


def test_receive_wipe_verify_grade_clear_through_the_forms(session, world, as_user):
    device = _device(session, world)
    medium_id = device.media[0].id
    tech, tech2 = as_user(world.tech.user), as_user(world.tech2.user)
    url = f"/bench/devices/{device.id}"
    tech.post(f"{url}/receive", {"version": _version(device.id)})
    assert _state(device.id) == "received"
    tech.post(f"{url}/sanitize", {"version": _version(device.id), "medium_id": medium_id, "method": "clear",
                                  "technique": "overwrite", "tool": "nwipe", "result": "erased"})
    assert _state(device.id) == "sanitized"
    assert "Wipe verified" not in tech.text(url)  # four-eyes: not offered to the wiper
    assert "Wipe verified" in tech2.text(url)
    tech2.post(f"{url}/verify", {"version": _version(device.id), "medium_id": medium_id, "passed": "1"})
    assert _state(device.id) == "verified"
    tech.post(f"{url}/grade", {"version": _version(device.id), "grade": "b"})
    assert _state(device.id) == "graded"
    tech.post(f"{url}/clear", {"version": _version(device.id)})
    assert _state(device.id) == "cleared"
    tech.text(url)  # consume the flashed messages
    assert "No step is open to you" in tech.text(url)


def test_the_wiper_verifying_their_own_wipe_gets_the_workflows_refusal(session, world, as_user):
    device = _device(session, world)
    medium_id = device.media[0].id
    tech = as_user(world.tech.user)
    url = f"/bench/devices/{device.id}"
    tech.post(f"{url}/receive", {"version": _version(device.id)})
    tech.post(f"{url}/sanitize", {"version": _version(device.id), "medium_id": medium_id, "method": "clear",
                                  "technique": "overwrite"})
    r = tech.post(f"{url}/verify", {"version": _version(device.id), "medium_id": medium_id, "passed": "1"},
                  follow_redirects=True)
    page = r.get_data(as_text=True)
    assert _state(device.id) == "sanitized"
    assert 'class="flash error"' in page and "verif" in page.lower()


def test_a_step_from_a_stale_page_is_refused_with_the_current_state(session, world, as_user):
    device = _device(session, world)
    tech, tech2 = as_user(world.tech.user), as_user(world.tech2.user)
    seen = _version(device.id)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": seen})
    r = tech2.post(f"/bench/devices/{device.id}/destroy", {"version": seen, "technique": "shred"},
                   follow_redirects=True)
    assert _state(device.id) == "received"
    assert "it is received now" in r.get_data(as_text=True)


def test_a_refused_wipe_method_says_why(session, world, as_user):
    device = _device(session, world)
    tech = as_user(world.tech.user)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    r = tech.post(f"/bench/devices/{device.id}/sanitize",
                  {"version": _version(device.id), "medium_id": device.media[0].id, "method": "purge",
                   "technique": "degauss", "result": "erased"}, follow_redirects=True)
    assert _state(device.id) == "received" and 'class="flash error"' in r.get_data(as_text=True)


def test_queues_list_devices_waiting_for_each_step(session, world, as_user):
    device = _device(session, world)
    tech = as_user(world.tech.user)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    assert device.serial in tech.text("/bench/queue/received")
    assert device.serial not in tech.text("/bench/queue/sanitized")
    assert tech.get("/bench/queue/nonsense").status_code == 404


def test_the_wipe_form_asks_the_type_of_a_drive_listed_without_one_and_a_purge_then_counts(session, world, as_user):
    from itad.models import SanitizationRecord, StorageMedium

    device = _device(session, world)
    session.execute(sa.update(StorageMedium).values(media_type="unknown"))
    session.commit()
    tech = as_user(world.tech.user)
    url = f"/bench/devices/{device.id}"
    tech.post(f"{url}/receive", {"version": _version(device.id)})
    assert 'name="media_type"' in tech.text(url)
    tech.post(f"{url}/sanitize", {"version": _version(device.id), "medium_id": device.media[0].id, "method": "purge",
                                  "technique": "crypto_erase", "tool": "hdparm", "result": "erased",
                                  "media_type": "ssd"})
    db.session.expire_all()
    assert db.session.get(StorageMedium, device.media[0].id).media_type == "ssd"
    record = db.session.scalar(sa.select(SanitizationRecord).where(SanitizationRecord.device_id == device.id))
    assert (record.effective_method, record.decision) == ("purge", "accepted")


def test_an_extra_unit_is_accepted_with_the_make_model_and_category_read_off_it(session, world, as_user):
    from itad.models import CustodyEvent

    _device(session, world)
    batch_id = session.scalar(sa.select(Device.batch_id))
    tech = as_user(world.tech.user)
    tech.post("/bench/unexpected", {"serial": "EXTRA-SW-1", "batch_id": batch_id})
    extra = session.scalar(sa.select(Device).where(Device.serial == "EXTRA-SW-1"))
    page = tech.text(f"/bench/devices/{extra.id}")
    assert 'name="manufacturer"' in page and 'name="category"' in page
    r = tech.post(f"/bench/devices/{extra.id}/accept", {"version": _version(extra.id), "manufacturer": " Cisco ",
                                                         "model": "Catalyst 2960", "category": "switch"})
    assert r.status_code == 302
    db.session.expire_all()
    extra = db.session.get(Device, extra.id)
    assert (extra.state, extra.manufacturer, extra.model, extra.category) == \
        ("received", "Cisco", "Catalyst 2960", "switch")
    event = db.session.scalar(sa.select(CustodyEvent).where(CustodyEvent.device_id == extra.id,
                                                            CustodyEvent.action == "accept"))
    assert event.evidence["described"] == {"manufacturer": "Cisco", "model": "Catalyst 2960", "category": "switch"}


def test_a_received_unit_with_no_drive_is_told_its_next_step_and_the_form_is_open(session, world, as_user):
    device = _device(session, world, category="switch")
    from itad.models import StorageMedium

    session.execute(sa.delete(StorageMedium).where(StorageMedium.device_id == device.id))
    session.commit()
    tech = as_user(world.tech.user)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    page = tech.text(f"/bench/devices/{device.id}")
    assert "No drive is recorded for this switch" in page
    assert '<details class="step" open>' in page and 'name="medium_serial" required maxlength="120" autocomplete="off" autofocus' in page
    # Following it: the switch's flash is recorded and wiped, and the device moves on.
    tech.post(f"/bench/devices/{device.id}/sanitize", {"version": _version(device.id), "medium_serial": "FLASH-1",
                                                       "media_type": "flash", "method": "clear",
                                                       "technique": "overwrite", "result": "erased"})
    assert _state(device.id) == "sanitized"


def test_the_expected_list_shows_what_is_yet_to_arrive(session, world, as_user):
    device = _device(session, world)
    tech = as_user(world.tech.user)
    page = tech.text("/bench/queue/registered")
    assert "Expected to arrive" in page and device.serial in page
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    assert device.serial not in tech.text("/bench/queue/registered")


def test_a_failed_verification_is_flashed_as_an_error(session, world, as_user):
    device = _device(session, world)
    tech, tech2 = as_user(world.tech.user), as_user(world.tech2.user)
    url = f"/bench/devices/{device.id}"
    tech.post(f"{url}/receive", {"version": _version(device.id)})
    tech.post(f"{url}/sanitize", {"version": _version(device.id), "medium_id": device.media[0].id, "method": "clear",
                                  "technique": "overwrite", "result": "erased"})
    page = tech2.post(f"{url}/verify", {"version": _version(device.id), "medium_id": device.media[0].id,
                                        "passed": "0"}, follow_redirects=True).get_data(as_text=True)
    assert 'class="flash error"' in page and "Verification FAILED" in page and 'class="flash success"' not in page


def test_a_phone_is_offered_factory_reset_saying_whether_it_encrypts_by_default(session, world, as_user):
    from itad.models import StorageMedium

    device = _device(session, world, category="phone")
    session.execute(sa.update(StorageMedium).values(media_type="mobile"))
    session.commit()
    tech = as_user(world.tech.user)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    page = tech.text(f"/bench/devices/{device.id}")
    assert '<option value="crypto_erase">Factory reset, device encrypts by default (cryptographic erase)' in page
    assert '<option value="factory_reset">Factory reset, device not encrypted by default' in page
    assert "degauss" not in page.split("Wipe of drive")[1].split("</form>")[0].lower()


def test_the_bench_records_a_phones_locks_and_a_locked_one_is_flashed_as_held(session, world, as_user):
    device = _device(session, world, category="phone")
    tech = as_user(world.tech.user)
    tech.post(f"/bench/devices/{device.id}/receive", {"version": _version(device.id)})
    page = tech.text(f"/bench/devices/{device.id}")
    assert "Activation Lock / Find My" in page and 'name="blacklist_status"' in page
    r = tech.post(f"/bench/devices/{device.id}/locks", {"version": _version(device.id), "frp_status": "locked",
                                                         "frp_source": "Setup: Google account prompt"},
                  follow_redirects=True)
    text = r.get_data(as_text=True)
    assert 'class="flash error"' in text and "is LOCKED" in text
    db.session.expire_all()
    assert db.session.get(Device, device.id).locked is True


def test_the_bench_grades_a_phone_from_its_checklist(session, world, as_user, client):
    from itad.models import DeviceGrading
    from tests.workflow_db.conftest import Bench
    from workflows.grading import DEFAULT_SCHEMES

    device = _device(session, world, category="phone")
    Bench(client, world).wiped_and_verified(world, device)
    tech = as_user(world.tech.user)
    page = tech.text(f"/bench/devices/{device.id}")
    assert "Grade from the checklist (phone)" in page and 'name="check_battery_health"' in page
    form = {f"check_{c['key']}": "pass" for c in DEFAULT_SCHEMES["phone"]["checks"] if c.get("kind", "pass") == "pass"}
    r = tech.post(f"/bench/devices/{device.id}/grade", {"version": _version(device.id), "checklist": "1",
                                                         "cosmetic": "B", **form, "check_battery_health": "90"},
                  follow_redirects=True)
    assert "Graded B from the checks." in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(DeviceGrading.grade).where(DeviceGrading.device_id == device.id)) == "B"


def test_a_scheme_without_cosmetic_grades_still_draws_its_checklist(session, world, as_user, client):
    from itad.steps import grading
    from tests.workflow_db.conftest import Bench

    grading.set_scheme(session, world.admin.user, "desktop", {
        "checks": [{"key": "boots", "label": "Boots"}], "rules": [{"grade": "B", "all_pass": True}, {"grade": "D"}]})
    device = _device(session, world, category="desktop")
    Bench(client, world).wiped_and_verified(world, device)
    tech = as_user(world.tech.user)
    page = tech.get(f"/bench/devices/{device.id}")
    assert page.status_code == 200 and 'name="check_boots"' in page.get_data(as_text=True)
    r = tech.post(f"/bench/devices/{device.id}/grade", {"version": _version(device.id), "checklist": "1",
                                                         "check_boots": "pass"}, follow_redirects=True)
    assert "Graded B from the checks." in r.get_data(as_text=True)
