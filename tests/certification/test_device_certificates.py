"""A client asks for one device's certificate, or a ZIP of every device's certificate of its batch; each is signed
(pdfsig checks each from outside our code)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import sqlalchemy as sa

from itad.certification import issuing
from itad.models import Certificate, CustodyEvent
from tests.certification.test_issuing import pdfsig


def _zip(client, party, batch_id):
    return client.get(f"/api/v1/batches/{batch_id}/device-certificates.zip", headers=party.headers)


def test_a_client_asks_for_its_devices_certificate_and_asking_again_gives_the_same_one(closed, bench, world, session,
                                                                                      tmp_path):
    status, body = bench.post(world.acme, f"/devices/{closed.cleared.id}/certificates", {})
    assert status == 202, body
    session.expire_all()
    cert = session.scalars(sa.select(Certificate).where(Certificate.number == body["number"])).one()
    assert (cert.kind, cert.device_id) == ("device", closed.cleared.id)
    assert "Signature is Valid" in pdfsig(tmp_path, issuing.read_pdf(cert))
    status, again = bench.post(world.acme, f"/devices/{closed.cleared.id}/certificates", {})
    assert status == 200 and again["certificate_id"] == cert.id and again["request_id"] is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Certificate).where(Certificate.kind == "device")) == 1
    assert bench.post(world.globex, f"/devices/{closed.cleared.id}/certificates", {})[0] == 404


def test_every_settled_device_gets_its_certificate_in_one_job_and_the_zip_holds_them_all(
        closed, bench, world, client, session, tmp_path):
    assert _zip(client, world.acme, closed.batch.id).status_code == 409        # none yet, and it says how
    status, body = bench.post(world.acme, f"/batches/{closed.batch.id}/device-certificates")
    assert status == 202 and body["devices"] == 2 and body["job_id"]          # cleared + destroyed; not missing
    again = bench.ok(world.acme, "POST", f"/batches/{closed.batch.id}/device-certificates")
    assert (again["devices"], again["job_id"]) == (0, None)

    r = _zip(client, world.acme, closed.batch.id)
    assert r.status_code == 200 and r.headers["X-Certificates"] == "2" and r.headers["X-Devices-Without-Certificate"] == "0"
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
    assert sorted(row["device_serial"] for row in index) == sorted([closed.cleared.serial, closed.destroyed.serial])
    for row in index:
        pdf = archive.read(row["pdf"])
        assert "Signature is Valid" in pdfsig(tmp_path, pdf)
        doc = json.loads(archive.read(row["json"]))
        assert doc["number"] == row["number"] and doc["pdf_sha256"] == row["pdf_sha256"]
        assert doc["lines"][0]["device_serial"] == row["device_serial"]
    issued = session.scalars(sa.select(CustodyEvent).where(CustodyEvent.batch_id == closed.batch.id,
                                                           CustodyEvent.action == "certificate_issued",
                                                           CustodyEvent.device_id.is_not(None))).all()
    assert len(issued) == 2
    assert _zip(client, world.globex, closed.batch.id).status_code == 404
