"""What the client states of its media's data (NIST SP 800-88 App. G: confidentiality before sanitization, data
backed up) is kept per batch, changes only while the batch is open, and is printed on its certificates; the
confidentiality after sanitization follows the outcome."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa
from flask import current_app

from itad.certification import content, issuing
from itad.models import Batch, CustodyEvent
from tests.factories import make_batch
from tests.intake.test_intake_api import csv_bytes


def _register(client, party, **form):
    data = {"file": (io.BytesIO(csv_bytes("Serial,Drive Serial", "DH-1,DR-DH-1")), "list.csv"),
            "reference": "PO-DH", **form}
    return client.post("/api/v1/batches", headers=party.headers, data=data, content_type="multipart/form-data")


def test_the_client_states_them_at_registration_and_corrects_them_while_open(client, world, bench, session):
    r = _register(client, world.acme, confidentiality="moderate", data_backed_up="true")
    assert r.status_code == 201, r.get_json()
    batch = r.get_json()["batch"]
    assert (batch["confidentiality"], batch["data_backed_up"]) == ("moderate", True)
    body = bench.ok(world.acme, "PUT", f"/batches/{batch['id']}/data-handling",
                    {"confidentiality": "high", "data_backed_up": False})
    assert (body["confidentiality"], body["data_backed_up"]) == ("high", False)
    (event,) = session.scalars(sa.select(CustodyEvent).where(CustodyEvent.batch_id == batch["id"],
                                                             CustodyEvent.action == "state_data_handling")).all()
    assert event.evidence == {"confidentiality": "high", "data_backed_up": False}


def test_an_unknown_level_is_refused_by_name(client, world, bench):
    r = _register(client, world.acme, confidentiality="secret")
    assert r.status_code == 422 and "low, moderate, high" in r.get_json()["error"]["message"]
    status, body = bench.call(world.acme, "PUT", "/batches/1/data-handling", {"confidentiality": "top"})
    assert status == 422


def test_another_client_cannot_state_them_and_a_closed_batch_keeps_them(closed, bench, world):
    status, _ = bench.call(world.globex, "PUT", f"/batches/{closed.batch.id}/data-handling", {"confidentiality": "low"})
    assert status == 404
    status, body = bench.call(world.acme, "PUT", f"/batches/{closed.batch.id}/data-handling",
                              {"confidentiality": "low"})
    assert status == 409 and body["error"]["code"] == "batch_closed"


def test_every_line_carries_them_and_the_outcome_sets_the_confidentiality_after(session, world, signing_key):
    batch = make_batch(session, world.acme.org, devices=2)
    batch.confidentiality, batch.data_backed_up = "high", True
    session.commit()
    data = content.certificate_data_for_batch(session, batch.id, "COS-2099-000009",
                                              content.issuer_from(session, current_app.config))
    line = data.lines[0]
    assert (line.classification, line.data_backed_up) == ("high", True)
    assert line.post_classification == "high"       # not sanitized: it still holds what it held
    assert (data.batch.confidentiality, data.batch.backed_up()) == ("high", "yes")


def test_the_issued_certificate_prints_what_was_stated_and_says_when_nothing_was(closed, session, tmp_path):
    doc = json.loads(issuing.read_json(closed.certificate))
    assert doc["batch"]["confidentiality"] == "not stated" and doc["batch"]["data_backed_up"] is None
    wiped = next(l for l in doc["lines"] if l["device_serial"] == closed.cleared.serial)
    assert (wiped["classification"], wiped["post_classification"], wiped["data_backed_up"]) == (
        "not stated", "low", None)
    path = tmp_path / "c.pdf"
    path.write_bytes(issuing.read_pdf(closed.certificate))
    import subprocess
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "Data confidentiality: not stated · backed up: not stated" in text
    assert session.get(Batch, closed.batch.id).confidentiality is None
