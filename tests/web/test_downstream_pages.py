"""Weights and downstream in the pages: the dock records lots and accounts for loose drives, the admin keeps vendors
and ships a stream (refused to a vendor whose certification expired), the batch's page shows the mass balance gap
and the CO2e with its source, the admin issues the certificate of recycling, the client reads its summary."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from itad.certification import keys
from tests.factories import make_batch
from tests.workflow_db.conftest import devices_of

TODAY = date.today()


def test_lots_vendors_shipments_balance_and_certificate_through_the_pages(session, world, as_user):
    keys.init_key(session, current_app.config, common_name="GreenCycle signing", organization="GreenCycle ITAD")
    batch = make_batch(session, world.acme.org, reference="ACME-DOWN-PAGES", devices=2)
    session.commit()
    for d, state in zip(devices_of(session, batch), ("sold", "cleared")):
        d.state = state
    session.commit()
    tech, admin, client = as_user(world.tech.user), as_user(world.admin.user), as_user(world.acme.user)
    url = f"/batches/{batch.id}/downstream"
    tech.post(f"{url}/lots", {"category": "devices", "stage": "dock", "count": "2", "weight_kg": "5.00"})
    tech.post(f"{url}/lots", {"category": "loose_drives", "stage": "site", "count": "10"})
    page = tech.text(url)
    assert "10 still to account for" in page
    from itad.models import MaterialLot
    lot = session.query(MaterialLot).filter_by(category="loose_drives").one()
    refused = tech.post(f"/lots/{lot.id}/account", {"destroyed": "10"}, follow_redirects=True).get_data(as_text=True)
    assert "Say how they were destroyed" in refused
    refused = tech.post(f"/lots/{lot.id}/account", {"wiped": "4"}, follow_redirects=True).get_data(as_text=True)
    assert "Say how they were wiped" in refused
    tech.post(f"/lots/{lot.id}/account", {"wiped": "4", "wipe_technique": "overwrite", "destroyed": "6",
                                          "technique": "shred"})
    page = tech.text(url)
    assert "still to account for" not in page
    assert "4 wiped (Overwrite 4), 6 destroyed (Shred 6), 0 reported missing" in page

    admin.post("/admin/downstream/vendors", {"name": "Lapsed Ltd"})
    admin.post("/admin/downstream/vendors", {"name": "Good Metals"})
    from itad.models import DownstreamVendor
    lapsed, good = (session.query(DownstreamVendor).filter_by(name=n).one() for n in ("Lapsed Ltd", "Good Metals"))
    admin.post(f"/admin/downstream/vendors/{lapsed.id}/certifications", {
        "standard": "R2v3", "certificate_number": "R2-1", "valid_from": "2020-01-01",
        "expires_on": (TODAY - timedelta(days=3)).isoformat()})
    admin.post(f"/admin/downstream/vendors/{good.id}/certifications", {
        "standard": "e-Stewards", "certificate_number": "ES-9", "valid_from": "2020-01-01",
        "expires_on": (TODAY + timedelta(days=90)).isoformat()})
    assert "(expired)" in admin.text("/admin/downstream")
    shipment = {"stream": "shredded media", "purpose": "recycling", "weight_kg": "30", "shipped_on": TODAY.isoformat(),
                "allocations": "ACME-DOWN-PAGES: 1.5"}
    no = admin.post("/admin/downstream/shipments", {**shipment, "vendor_id": str(lapsed.id)}, follow_redirects=True)
    assert "holds no certification valid on" in no.get_data(as_text=True)
    yes = admin.post("/admin/downstream/shipments", {**shipment, "vendor_id": str(good.id)}, follow_redirects=True)
    assert "Shipment of 30.00 kg of shredded media recorded." in yes.get_data(as_text=True)

    seen = client.text(url)
    # 5.00 in; 2.50 resold (one of two units); 1.50 recycled; 2.50 in stock: 1.50 kg difference, shown
    assert "1.50 kg are not accounted for" in seen and "Good Metals" in seen and "puc.be" in seen
    issued = admin.post(f"/batches/{batch.id}/recycling-certificate", {}, follow_redirects=True).get_data(as_text=True)
    assert "Certificate of recycling COR-" in issued
    assert "COR-" in client.text(url)
    summary = client.text(f"/environment?start={TODAY}&end={TODAY}")
    assert "ACME-DOWN-PAGES" in summary and "69.00" in summary
    assert as_user(world.globex.user).get(url).status_code == 404
    assert "ACME-DOWN-PAGES" not in as_user(world.globex.user).text(f"/environment?start={TODAY}&end={TODAY}")


def test_a_shipment_names_a_batch_two_clients_call_alike_by_its_id(session, world, as_user):
    ours = make_batch(session, world.acme.org, reference="PO-17", devices=0)
    theirs = make_batch(session, world.globex.org, reference="PO-17", devices=0)
    session.commit()
    admin = as_user(world.admin.user)
    admin.post("/admin/downstream/vendors", {"name": "Good Metals"})
    from itad.models import DownstreamVendor, ShipmentAllocation
    good = session.query(DownstreamVendor).filter_by(name="Good Metals").one()
    admin.post(f"/admin/downstream/vendors/{good.id}/certifications", {
        "standard": "R2v3", "certificate_number": "R2-7", "valid_from": "2020-01-01",
        "expires_on": (TODAY + timedelta(days=90)).isoformat()})
    shipment = {"stream": "plastics", "purpose": "recycling", "weight_kg": "20", "shipped_on": TODAY.isoformat(),
                "vendor_id": str(good.id)}
    said = admin.post("/admin/downstream/shipments", {**shipment, "allocations": "PO-17: 5"},
                      follow_redirects=True).get_data(as_text=True)
    assert "names batches of Acme Bank, Globex" in said and f"#{ours.id}, #{theirs.id}" in said
    assert session.query(ShipmentAllocation).count() == 0
    done = admin.post("/admin/downstream/shipments", {**shipment, "allocations": f"#{theirs.id}: 5\n\nPO-X:1: 2"},
                      follow_redirects=True).get_data(as_text=True)
    assert "not &#39;PO-X:1: 2&#39;" in done        # a reference that names no batch is refused whole
    admin.post("/admin/downstream/shipments", {**shipment, "allocations": f"#{theirs.id}: 5"})
    [share] = session.query(ShipmentAllocation).all()
    assert share.batch_id == theirs.id and share.weight_kg == 5
