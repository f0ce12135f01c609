"""Lots, downstream vendors and shipments, the mass balance, the environmental summary and the certificate of
recycling: counted pieces that must end wiped or destroyed or be reported, a shipment refused to a vendor whose
certification has expired, and a mass-balance gap shown as it is."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import current_app

from itad.certification import keys
from itad.models import AuditEvent, CustodyEvent, Device
from tests.factories import make_batch
from tests.queries import statements
from tests.certification.conftest import bench  # noqa: F401  (the same fixture)
from tests.workflow_db.conftest import devices_of

TODAY = date.today()


@pytest.fixture
def vendor(bench, world):
    v = bench.ok(world.admin, "POST", "/vendors", {"name": "Northern Metals Recovery", "address": "Unit 4, Hull"})
    bench.ok(world.admin, "POST", f"/vendors/{v['id']}/certifications", {
        "standard": "R2v3", "certificate_number": "R2-0042", "valid_from": (TODAY - timedelta(days=300)).isoformat(),
        "expires_on": (TODAY + timedelta(days=60)).isoformat()})
    return v


def _lot(bench, party, batch_id, category, stage, **figures):
    return bench.call(party, "POST", f"/batches/{batch_id}/lots", {"category": category, "stage": stage, **figures})


def test_loose_drives_counted_at_the_site_hold_the_batch_open_until_each_is_wiped_destroyed_or_reported(
        session, bench, world):
    batch = make_batch(session, world.acme.org, reference="ACME-LOOSE", devices=0)
    session.commit()
    assert _lot(bench, world.tech, batch.id, "loose drives", "site", count=120, weight_kg="60.00")[0] == 200
    status, lot = _lot(bench, world.tech, batch.id, "loose_drives", "dock", count=118, weight_kg="59.10")
    assert status == 200
    [line] = bench.ok(world.acme, "GET", f"/batches/{batch.id}/lots")["items"]
    assert (line["count_difference"], line["unaccounted"], line["exception"]) == (-2, 120, True)
    status, out = bench.post(world.admin, f"/batches/{batch.id}/close")
    assert status == 409 and "120 loose drives counted at the site" in str(out["error"]["details"]["needs"])
    assert bench.post(world.tech, f"/lots/{lot['id']}/pieces", {"destroyed": 100})[1]["error"]["code"] == \
        "destruction_technique_missing"
    assert bench.post(world.tech, f"/lots/{lot['id']}/pieces", {"wiped": 18})[1]["error"]["code"] == \
        "wipe_technique_missing"
    assert bench.post(world.tech, f"/lots/{lot['id']}/pieces", {"wiped": 121, "wipe_technique": "overwrite"})[1][
        "error"]["code"] == "over_accounted"
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces",
             {"destroyed": 60, "technique": "shred", "wiped": 18, "wipe_technique": "overwrite"})
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"destroyed": 40, "technique": "disintegrate"})
    assert bench.post(world.tech, f"/lots/{lot['id']}/pieces", {"missing": 2})[1]["error"]["code"] == \
        "missing_reason_required"
    long_reason = "two fewer at the dock than the site counted; " + "the crew recounted the bin twice. " * 20
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"missing": 1, "reason": long_reason.strip()})
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"missing": 1, "reason": "not in the second bin"})
    # Each step's technique and reason are kept, not only the last, and no reason is cut short.
    [line] = bench.ok(world.acme, "GET", f"/batches/{batch.id}/lots")["items"]
    assert line["unaccounted"] == 0 and line["pieces"] == {
        "wiped": {"overwrite": 18}, "destroyed": {"shred": 60, "disintegrate": 40}, "missing": 2,
        "reasons": [long_reason.strip(), "not in the second bin"]}
    assert bench.ok(world.admin, "POST", f"/batches/{batch.id}/close")["status"] == "closed"
    actions = session.scalars(sa.select(CustodyEvent.action).where(CustodyEvent.batch_id == batch.id)
                              .order_by(CustodyEvent.seq)).all()
    assert actions.count("lot_pieces_accounted") == 4 and "lot_declared" in actions and "lot_received" in actions
    assert bench.get(world.globex, f"/batches/{batch.id}/lots")[0] == 404


def test_the_certificate_of_sanitization_states_the_loose_drives_as_accounted_never_more(session, bench, world,
                                                                                         tmp_path):
    keys.init_key(session, current_app.config, common_name="GreenCycle signing", organization="GreenCycle ITAD")
    batch = make_batch(session, world.acme.org, reference="ACME-LOOSE-CERT", devices=0)
    session.commit()
    _lot(bench, world.tech, batch.id, "loose_drives", "site", count=12)
    status, lot = _lot(bench, world.tech, batch.id, "loose_drives", "dock", count=11)
    assert status == 200
    _lot(bench, world.tech, batch.id, "cables", "dock", weight_kg="8.00")     # not data-bearing: not on it
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"wiped": 7, "wipe_technique": "overwrite"})
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"destroyed": 4, "technique": "shred"})
    bench.ok(world.tech, "POST", f"/lots/{lot['id']}/pieces", {"missing": 1, "reason": "one fewer at the dock"})
    bench.ok(world.admin, "POST", f"/batches/{batch.id}/close")
    [cert] = bench.ok(world.acme, "GET", f"/batches/{batch.id}/certificates")["items"]
    data = current_app.test_client().get(f"/api/v1/certificates/{cert['id']}/json", headers=world.acme.headers).json
    assert data["loose_media"] == [{
        "kind": "loose drives", "counted_at_site": 12, "counted_at_dock": 11,
        "wiped": [{"technique": "overwrite", "pieces": 7}], "destroyed": [{"technique": "shred", "pieces": 4}],
        "missing": 1, "missing_reasons": ["one fewer at the dock"], "unaccounted": 0}]
    path = tmp_path / "cos.pdf"
    path.write_bytes(current_app.test_client().get(f"/api/v1/certificates/{cert['id']}/pdf",
                                                   headers=world.acme.headers).data)
    assert "Signature is Valid." in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "MEDIA COUNTED, NOT IDENTIFIED BY SERIAL" in text and "7 (overwrite)" in text and "4 (shred)" in text
    assert "1: one fewer at the dock" in text and "cables" not in text
    assert "No storage medium is listed by serial in this certificate." in text and "no media: 0" not in text


def test_loose_pieces_not_yet_accounted_are_printed_as_such_never_as_sanitized():
    from certificates import CertificateDataError, LooseMedia
    from certificates.render import cover_html
    from certificates.specimen import specimen_batch

    open_lot = LooseMedia("tapes", counted_at_site=5, counted_at_dock=5, wiped=(("degauss", 2),), unaccounted=3)
    html = cover_html(replace(specimen_batch(devices=2), loose_media=(open_lot,)), total_pages=1)
    row = html[html.index("<td>tapes</td>"):]
    row = " ".join(row[:row.index("</tr>")].split())
    assert row.endswith("<td>2 (degauss)</td> <td>0</td> <td>0</td> <td>3</td>")
    with pytest.raises(CertificateDataError, match="without a reason"):
        LooseMedia("loose drives", 3, 3, missing=1)


def test_a_shipment_to_a_vendor_whose_certification_expired_is_refused(session, bench, world, vendor):
    batch = make_batch(session, world.acme.org, reference="ACME-SHIP", devices=0)
    session.commit()
    old = bench.ok(world.admin, "POST", "/vendors", {"name": "Lapsed Recycling Ltd"})
    bench.ok(world.admin, "POST", f"/vendors/{old['id']}/certifications", {
        "standard": "e-Stewards", "certificate_number": "ES-7", "valid_from": "2020-01-01",
        "expires_on": (TODAY - timedelta(days=1)).isoformat()})
    body = {"stream": "circuit boards", "purpose": "recycling", "weight_kg": "250.00", "shipped_on": TODAY.isoformat(),
            "allocations": [{"batch_id": batch.id, "weight_kg": "40.00"}]}
    status, out = bench.post(world.tech, "/shipments", {**body, "vendor_id": old["id"]})
    assert status == 409 and out["error"]["code"] == "vendor_not_certified"
    assert f"valid on {TODAY.isoformat()}" in out["error"]["message"] and "ES-7" in out["error"]["message"]
    # The day before it expired, the same shipment was fine.
    yesterday = bench.post(world.tech, "/shipments", {**body, "vendor_id": old["id"],
                                                       "shipped_on": (TODAY - timedelta(days=1)).isoformat()})
    assert yesterday[0] == 201
    over = bench.post(world.tech, "/shipments", {**body, "vendor_id": vendor["id"],
                                                 "allocations": [{"batch_id": batch.id, "weight_kg": "250.01"}]})
    assert over[0] == 422 and over[1]["error"]["code"] == "over_allocated"
    shipped = bench.ok(world.tech, "POST", "/shipments", {**body, "vendor_id": vendor["id"]})
    event = session.scalars(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch.id,
                                                          CustodyEvent.action == "shipped_downstream")
                            .order_by(CustodyEvent.seq.desc())).first()
    assert event.evidence["shipment_id"] == shipped["id"] and event.evidence["certification"] == "R2v3 R2-0042"
    assert event.evidence["weight_kg"] == "40.00"


def _balanced_batch(session, bench, world, vendor):
    """Four laptops weighed together (100 kg), 50 kg of e-waste processed, 40 kg of it shipped for recycling; one
    laptop sold, one destroyed, two still here."""
    batch = make_batch(session, world.acme.org, reference="ACME-BALANCE", devices=4)
    session.commit()
    states = ["sold", "destroyed", "cleared", "in_inventory"]
    for device, state in zip(devices_of(session, batch), states):
        device.state = state
    session.commit()
    _lot(bench, world.tech, batch.id, "devices", "dock", count=4, weight_kg="100.00")
    _, ewaste = _lot(bench, world.tech, batch.id, "e_waste", "dock", weight_kg="50.00")
    bench.ok(world.tech, "POST", f"/lots/{ewaste['id']}/processed")
    bench.ok(world.tech, "POST", "/shipments", {"vendor_id": vendor["id"], "stream": "mixed e-waste",
                                                "purpose": "recycling", "weight_kg": "400.00",
                                                "shipped_on": TODAY.isoformat(),
                                                "allocations": [{"batch_id": batch.id, "weight_kg": "40.00"}]})
    return batch


def test_the_mass_balance_shows_the_gap_and_the_co2e_with_its_source(session, bench, world, vendor):
    batch = _balanced_batch(session, bench, world, vendor)
    b = bench.ok(world.acme, "GET", f"/batches/{batch.id}/mass-balance")
    assert (b["weight_in"], b["resold"], b["recycled"], b["in_stock"]) == ("150.00", "25.00", "40.00", "50.00")
    # 150 in; out 25 + 0 + 40; stock 50: 35 kg (the destroyed laptop, 10 kg of processed e-waste) not accounted
    assert b["difference"] == "35.00"
    assert b["co2e_avoided_kg"] == "69.00"
    [line] = b["co2e_by_category"]
    assert line["category"] == "laptop" and line["units"] == 1 and "puc.be" in line["source"]
    assert bench.get(world.globex, f"/batches/{batch.id}/mass-balance")[0] == 404
    env = bench.ok(world.acme, "GET", f"/environment?start={TODAY}&end={TODAY}")
    assert env["total"]["recycled"] == "40.00" and list(env["batches"]) == ["ACME-BALANCE"]
    assert bench.ok(world.globex, "GET", f"/environment?start={TODAY}&end={TODAY}")["batches"] == {}
    # The operator's whole dock: every client's batches of the period; a technician reads batches, not summaries.
    whole = bench.ok(world.admin, "GET", f"/environment?start={TODAY}&end={TODAY}")
    assert whole["client_id"] is None and "ACME-BALANCE" in whole["batches"]
    assert bench.call(world.tech, "GET", "/environment")[0] == 403


def test_a_period_is_balanced_in_the_same_number_of_queries_for_one_batch_or_many(session, bench, world, vendor):
    from itad.downstream import balance
    from itad.models import db

    def balanced():
        with statements(db.engine) as sent:
            total, rows = balance.of_period(session, TODAY, TODAY, world.acme.org.id)
        return total, rows, len(sent)

    _balanced_batch(session, bench, world, vendor)
    one, rows, few = balanced()
    assert len(rows) == 1 and one.weight_in == Decimal("150.00")
    for n in range(4):
        batch = make_batch(session, world.acme.org, reference=f"ACME-MORE-{n}", devices=2)
        session.commit()
        for device in devices_of(session, batch):
            device.state = "sold"
        session.commit()
        _lot(bench, world.tech, batch.id, "devices", "dock", count=2, weight_kg="10.00")
    total, rows, many = balanced()
    assert len(rows) == 5 and few == many
    # Each batch is balanced on its own rows: the sum is the first batch's and four of 10 kg, all resold.
    assert (total.weight_in, total.resold, total.units_sold) == (Decimal("190.00"), Decimal("65.00"), 9)
    assert [b.resold for _, b in rows[1:]] == [Decimal("10.00")] * 4 and total.reuse["laptop"].units == 9


def test_a_batch_whose_units_were_not_weighed_says_so(session, bench, world):
    batch = make_batch(session, world.acme.org, reference="ACME-UNWEIGHED", devices=2)
    session.commit()
    for d in devices_of(session, batch):
        d.state = "received"
    session.commit()
    b = bench.ok(world.acme, "GET", f"/batches/{batch.id}/mass-balance")
    assert b["weight_in"] == "0.00" and "were not weighed" in b["unweighed"][0]


def test_the_certificate_of_recycling_is_signed_registered_and_verified(session, bench, world, vendor, tmp_path):
    keys.init_key(session, current_app.config, common_name="GreenCycle signing", organization="GreenCycle ITAD")
    session.commit()
    empty = make_batch(session, world.acme.org, reference="ACME-NOTHING", devices=0)
    session.commit()
    status, out = bench.post(world.admin, f"/batches/{empty.id}/recycling-certificate", {})
    assert status == 409 and out["error"]["code"] == "nothing_shipped"
    batch = _balanced_batch(session, bench, world, vendor)
    cert = bench.ok(world.admin, "POST", f"/batches/{batch.id}/recycling-certificate", {})
    assert cert["number"].startswith("COR-") and cert["kind"] == "recycle"
    pdf = current_app.test_client().get(f"/api/v1/certificates/{cert['id']}/pdf", headers=world.acme.headers)
    assert pdf.status_code == 200, pdf.status_code
    path = tmp_path / "recycling.pdf"
    path.write_bytes(pdf.data)
    check = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    assert "Signature Validation: Signature is Valid." in check.stdout + check.stderr
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "Northern Metals Recovery" in text and "R2-0042" in text and f"/verify/{cert['number']}" in text
    page = current_app.test_client().get(f"/verify/{cert['number']}")
    assert page.status_code == 200 and "Certificate of recycling" in page.get_data(as_text=True)
    again = bench.ok(world.admin, "POST", f"/batches/{batch.id}/recycling-certificate", {"reason": "late shipment"})
    listed = {c["number"]: c["status"] for c in bench.ok(world.acme, "GET", f"/batches/{batch.id}/certificates")["items"]}
    assert listed[cert["number"]] == "superseded" and listed[again["number"]] == "issued"


def test_an_admin_sets_a_factor_with_its_source_and_it_is_audited(session, bench, world):
    assert bench.call(world.tech, "PUT", "/impact-factors/tablet", {"co2e_avoided_kg": "40.00", "source": "x"})[0] == 403
    status, out = bench.call(world.admin, "PUT", "/impact-factors/tablet", {"co2e_avoided_kg": "40.00", "source": " "})
    assert status == 422
    bench.ok(world.admin, "PUT", "/impact-factors/tablet", {"co2e_avoided_kg": "40.00",
                                                            "source": "Vendor PCF sheet, 2024"})
    listed = {f["category"]: f for f in bench.ok(world.acme, "GET", "/impact-factors")["items"]}
    assert listed["tablet"]["set_by_admin"] is True and listed["laptop"]["co2e_avoided_kg"] == "69.00"
    assert session.query(AuditEvent).filter_by(action="impact_factor_changed").count() == 1


def test_vendors_are_listed_with_their_certifications_in_the_same_number_of_queries_for_one_or_many(
        session, bench, world, vendor):
    from itad.models import db

    def listed():
        with statements(db.engine) as sent:
            items = bench.ok(world.tech, "GET", "/vendors")["items"]
        return items, len(sent)

    listed()                       # the first request of a token also records its use
    one, few = listed()
    for n in range(4):
        v = bench.ok(world.admin, "POST", "/vendors", {"name": f"Metals {n}"})
        for number in ("A", "B"):
            bench.ok(world.admin, "POST", f"/vendors/{v['id']}/certifications", {
                "standard": "ISO 14001", "certificate_number": f"{n}-{number}", "valid_from": "2024-01-01",
                "expires_on": (TODAY + timedelta(days=30)).isoformat()})
    five, many = listed()
    assert len(one) == 1 and len(five) == 5 and few == many
    assert [c["certificate_number"] for c in one[0]["certifications"]] == ["R2-0042"]
    assert sorted(len(v["certifications"]) for v in five) == [1, 2, 2, 2, 2]
