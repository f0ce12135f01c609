"""POST /api/v1/batches: an asset list becomes a batch, all of it or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from itad import create_app
from workflows.custody import GENESIS, event_hash, event_payload
from itad.models import Batch, CustodyEvent, Device, StorageMedium
from tests.samples import SAMPLES as ALL_SAMPLES

SAMPLES = ALL_SAMPLES / "asset-lists"


def upload(client, party, data: bytes, name: str = "list.csv", reference: str = "PO-1", **form):
    fields = {"file": (io.BytesIO(data), name), "reference": reference, **{k: str(v) for k, v in form.items()}}
    return client.post("/api/v1/batches", headers=party.headers, data=fields,
                       content_type="multipart/form-data")


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def counts(session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(m)) for m in
                 (Batch, Device, StorageMedium, CustodyEvent))


GOOD = csv_bytes(
    "Serial Number,Asset Tag,Manufacturer,Model,Category,Drive Serials,Cost Centre",
    "SN-001,AT-1,Dell,Latitude 7490,Laptop,WD-1;WD-2,CC-9",
    "SN-002,AT-2,HP,EliteDesk 800,Desktop,,",
    "SN-003,,Dell,P2419H,Monitor,,CC-9",
)


def test_csv_upload_creates_the_batch_with_devices_media_attributes_and_row_results(client, world, session):
    r = upload(client, world.acme, GOOD, reference="PO-4711")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["created"] is True and body["rows"] == 3 and body["media"] == 2
    assert body["batch"]["reference"] == "PO-4711"
    assert body["batch"]["organization_id"] == world.acme.org.id
    assert body["batch"]["source_filename"] == "list.csv"
    assert body["batch"]["state_counts"] == {"registered": 3}
    assert [(x["row"], x["serial"], x["media"]) for x in body["row_results"]] == [
        (2, "SN-001", 2), (3, "SN-002", 0), (4, "SN-003", 0)]
    assert body["links"]["devices"] == f"/api/v1/batches/{body['batch']['id']}/devices"

    device = session.get(Device, body["row_results"][0]["device_id"])
    assert (device.serial, device.asset_tag, device.manufacturer, device.model, device.category) == (
        "SN-001", "AT-1", "Dell", "Latitude 7490", "laptop")
    assert device.attributes == {"Cost Centre": "CC-9"}
    assert device.manifest_row == 2 and device.state == "registered" and device.version == 1
    assert [(m.serial, m.source, m.state) for m in device.media] == [
        ("WD-1", "manifest", "pending"), ("WD-2", "manifest", "pending")]
    assert session.get(Device, body["row_results"][1]["device_id"]).attributes is None

    # The devices read back through the existing listing API.
    listed = client.get(f"/api/v1/batches/{body['batch']['id']}/devices?category=laptop", headers=world.acme.headers)
    assert [d["serial"] for d in listed.get_json()["items"]] == ["SN-001"]


def test_registration_appends_one_hash_chained_custody_event(client, world, session):
    body = upload(client, world.acme, GOOD, name="acme.csv").get_json()
    events = session.scalars(sa.select(CustodyEvent)).all()
    assert len(events) == 1
    event = events[0]
    assert (event.batch_id, event.seq, event.action, event.actor_id) == (
        body["batch"]["id"], 1, "batch_registered", world.acme.user.id)
    assert event.evidence["file_name"] == "acme.csv" and event.evidence["rows"] == 3
    import hashlib

    assert event.evidence["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert event.prev_hash == GENESIS
    payload = event_payload(batch_id=event.batch_id, seq=event.seq, device_id=event.device_id,
                            action=event.action, from_state=event.from_state, to_state=event.to_state,
                            actor_id=event.actor_id, actor_label=event.actor_label, evidence=event.evidence,
                            created_at=event.created_at)
    assert event.hash == event_hash(GENESIS, payload)


def test_xlsx_upload_registers_like_csv(client, world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Serial", "Category", "HDD1 SN"])
    sheet.append(["XL-1", "Laptop", "D-XL-1"])
    sheet.append(["XL-2", "Server", None])
    out = io.BytesIO()
    book.save(out)
    r = upload(client, world.acme, out.getvalue(), name="list.xlsx")
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["rows"], r.get_json()["media"]) == (2, 1)


def test_every_row_check_is_reported_with_row_column_and_value_and_nothing_is_written(client, world, session):
    data = csv_bytes(
        "Serial,Category,Model",
        "OK-1,Laptop,Latitude",
        ",Laptop,Latitude",                      # row 3: no serial
        "OK-1,Desktop,Optiplex",                 # row 4: serial twice in the file
        "OK-4,Lapotp,Latitude",                  # row 5: unknown category
        "6.37702E+15,Laptop,Latitude",           # row 6: Excel ate the serial
        "OK-7,Laptop," + "M" * 201,              # row 7: model too long
    )
    r = upload(client, world.acme, data)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "manifest_invalid"
    assert error["details"]["rows"] == 6 and error["details"]["problem_count"] == 5
    got = [(p["row"], p["column"], p["value"], p["code"]) for p in error["details"]["problems"]]
    assert got == [
        (3, "Serial", "", "missing_serial"),
        (4, "Serial", "OK-1", "duplicate_serial"),
        (5, "Category", "Lapotp", "unknown_category"),
        (6, "Serial", "6.37702E+15", "scientific_notation"),
        (7, "Model", "M" * 201, "too_long"),
    ]
    messages = {p["row"]: p["message"] for p in error["details"]["problems"]}
    assert messages[4] == "Serial OK-1 appears twice in the file: also on row 2. List each device once."
    assert messages[5] == "Unknown category 'Lapotp'. Did you mean 'laptop'?"
    assert counts(session) == (0, 0, 0, 0)


def test_a_serial_in_another_open_batch_of_the_client_is_refused_until_that_batch_closes(client, world, session):
    assert upload(client, world.acme, GOOD, reference="PO-A").status_code == 201
    again = csv_bytes("Serial,Category", "NEW-1,Laptop", "sn-002,Desktop")
    r = upload(client, world.acme, again, reference="PO-B")
    assert r.status_code == 422
    problems = r.get_json()["error"]["details"]["problems"]
    first = session.scalar(sa.select(Batch))
    assert [(p["row"], p["column"], p["value"], p["code"]) for p in problems] == [
        (3, "Serial", "sn-002", "serial_in_open_batch")]
    assert f"{first.id} (PO-A)" in problems[0]["message"]
    assert counts(session)[0] == 1

    first.status = "closed"
    session.commit()
    r = upload(client, world.acme, again, reference="PO-B")
    assert r.status_code == 201, r.get_json()


def test_the_same_serial_in_another_clients_open_batch_does_not_count(client, world):
    assert upload(client, world.globex, GOOD).status_code == 201
    assert upload(client, world.acme, GOOD).status_code == 201


def test_a_bad_row_at_the_end_of_a_50000_row_list_leaves_no_batch_devices_media_or_events(client, world, session):
    assert upload(client, world.acme, csv_bytes("Serial,Category", "TAKEN-1,Laptop"), reference="PO-0").status_code == 201
    before = counts(session)
    lines = ["Serial,Category,Drive Serial"] + [f"BULK-{i:06d},Laptop,D-{i:06d}" for i in range(49_999)]
    lines.append("TAKEN-1,Laptop,D-LAST")  # only the database can tell this one is wrong
    r = upload(client, world.acme, csv_bytes(*lines), reference="PO-BIG")
    assert r.status_code == 422
    details = r.get_json()["error"]["details"]
    assert details["rows"] == 50_000
    assert [(p["row"], p["code"]) for p in details["problems"]] == [(50_001, "serial_in_open_batch")]
    session.expire_all()
    assert counts(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch).where(Batch.reference == "PO-BIG")) == 0


def test_uploading_the_same_file_again_returns_the_existing_batch_with_200(client, world, session):
    first = upload(client, world.acme, GOOD)
    second = upload(client, world.acme, GOOD, reference="PO-other")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["created"] is False
    assert second.get_json()["batch"]["id"] == first.get_json()["batch"]["id"]
    assert second.get_json()["rows"] == 3 and second.get_json()["media"] == 2
    assert counts(session) == (1, 3, 2, 1)
    # Another client with the same file gets a batch of their own.
    assert upload(client, world.globex, GOOD).status_code == 201


def test_json_rows_register_a_batch_and_are_idempotent_too(client, world, session):
    rows = [{"serial": "J-1", "category": "Laptop", "drive_serials": "JD-1, JD-2", "Colour": "grey"},
            {"serial": "J-2", "category": "Phone"}]
    r = client.post("/api/v1/batches", headers=world.acme.headers, json={"reference": "TCK-9", "rows": rows})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["rows"], body["media"], body["batch"]["source_filename"]) == (2, 2, None)
    device = session.get(Device, body["row_results"][0]["device_id"])
    assert device.attributes == {"Colour": "grey"} and device.manifest_row == 1
    again = client.post("/api/v1/batches", headers=world.acme.headers, json={"reference": "TCK-9", "rows": rows})
    assert again.status_code == 200 and again.get_json()["batch"]["id"] == body["batch"]["id"]


def test_json_rows_with_problems_answer_422_with_their_positions(client, world):
    r = client.post("/api/v1/batches", headers=world.acme.headers,
                    json={"reference": "TCK-9", "rows": [{"serial": "J-1"}, {"serial": "", "category": "Laptop"}]})
    assert r.status_code == 422
    assert [(p["row"], p["code"]) for p in r.get_json()["error"]["details"]["problems"]] == [(2, "missing_serial")]


def test_a_list_without_a_reference_is_refused(client, world, session):
    r = upload(client, world.acme, GOOD, reference="  ")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reference_required"
    assert counts(session) == (0, 0, 0, 0)


@pytest.fixture
def small_app(app_config):
    return create_app({**app_config, "INTAKE_MAX_ROWS": 2, "MAX_CONTENT_LENGTH": 4096})


def test_more_rows_than_the_limit_is_413_with_the_limit(small_app, world, session):
    r = upload(small_app.test_client(), world.acme, GOOD)
    assert r.status_code == 413
    error = r.get_json()["error"]
    assert error["code"] == "too_many_rows" and error["details"] == {"limit_rows": 2}
    assert counts(session) == (0, 0, 0, 0)


def test_more_bytes_than_the_limit_is_413_with_the_limit(small_app, world, session):
    big = csv_bytes("Serial,Notes", "S-1," + "x" * 5000)
    r = upload(small_app.test_client(), world.acme, big)
    assert r.status_code == 413
    assert r.get_json()["error"]["details"] == {"limit_bytes": 4096}
    assert counts(session) == (0, 0, 0, 0)


def test_a_client_cannot_register_for_another_organization(client, world, session):
    r = upload(client, world.acme, GOOD, organization_id=world.globex.org.id)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "wrong_organization"
    r = client.post("/api/v1/batches", headers=world.acme.headers,
                    json={"reference": "X", "organization_id": world.globex.org.id, "rows": [{"serial": "A"}]})
    assert r.status_code == 403
    assert counts(session) == (0, 0, 0, 0)
    # Naming their own organization is fine.
    assert upload(client, world.acme, GOOD, organization_id=world.acme.org.id).status_code == 201


def test_an_admin_registers_on_behalf_of_a_client_and_must_say_which(client, world, session):
    r = upload(client, world.admin, GOOD, organization_id=world.globex.org.id)
    assert r.status_code == 201
    assert r.get_json()["batch"]["organization_id"] == world.globex.org.id
    assert upload(client, world.admin, GOOD).status_code == 422
    assert upload(client, world.admin, GOOD, organization_id=world.operator.id).status_code == 404
    # The client sees the batch the admin registered for it; the other client does not.
    batch_id = r.get_json()["batch"]["id"]
    assert client.get(f"/api/v1/batches/{batch_id}", headers=world.globex.headers).status_code == 200
    assert client.get(f"/api/v1/batches/{batch_id}", headers=world.acme.headers).status_code == 404


def test_technicians_and_anonymous_callers_cannot_register(client, world):
    assert upload(client, world.tech, GOOD, organization_id=world.acme.org.id).status_code == 403
    r = client.post("/api/v1/batches", data={"file": (io.BytesIO(GOOD), "x.csv"), "reference": "P"})
    assert r.status_code == 401


def test_a_multipart_request_without_a_file_is_a_400(client, world):
    r = client.post("/api/v1/batches", headers=world.acme.headers, data={"reference": "PO"},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "file_required"


@pytest.mark.parametrize("name, status, code, check", [
    # Snipe-IT export: no serial column at all.
    ("assets-sample.csv", 422, "manifest_no_serial_column", None),
    # CR-only MacRoman file with Excel-mangled values and duplicate headers: made-up categories.
    ("assets-sample-BAD.csv", 422, "manifest_invalid", "unknown_category"),
    ("assets-sample-BLANKS.csv", 422, "manifest_invalid", "unknown_category"),
    # DeviceHub delivery note: rows 4 and 6 have no serial.
    ("devices_deliverynote.csv", 422, "manifest_invalid", "missing_serial"),
    # DeviceHub export: four devices, many unmapped columns kept as attributes.
    ("multiples_devices.csv", 201, None, None),
])
def test_every_sample_asset_list_registers_or_is_refused_as_expected(client, world, session, name, status, code, check):
    r = upload(client, world.acme, (SAMPLES / name).read_bytes(), name=name)
    assert r.status_code == status, r.get_json()
    if status == 201:
        body = r.get_json()
        assert body["rows"] == 4
        assert [x["serial"] for x in body["row_results"]] == [
            "b8oaas048286", "d1s", "bar", "cn0fp446728728541c8s"]
        device = session.get(Device, body["row_results"][0]["device_id"])
        assert device.category == "laptop" and device.attributes["Price"] == "47.40 €"
        return
    error = r.get_json()["error"]
    assert error["code"] == code
    if check:
        assert error["details"]["problems"] and {p["code"] for p in error["details"]["problems"]} >= {check}
    if name == "devices_deliverynote.csv":
        assert [p["row"] for p in error["details"]["problems"]] == [4, 6]
    assert counts(session) == (0, 0, 0, 0)


def test_the_openapi_document_describes_both_upload_forms(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    content = spec["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert content["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
