"""One input rule at the door: a NUL or a lone surrogate in any text (query, form, file name, JSON) is a 422 that
names the field; JSON too deep to read is a 422; an id past the database's integers names nothing (404); a NUL in
an asset list is a row problem with its row and column. Never a 500."""

from __future__ import annotations

import io

from tests.intake.test_intake_api import csv_bytes, upload
from tests.web.conftest import CSRF


def _post_json(client, party, path, raw: str):
    return client.post(path, data=raw.encode(), headers={**party.headers, "Content-Type": "application/json"})


def test_a_nul_or_a_lone_surrogate_in_a_json_body_is_named(client, world):
    r = _post_json(client, world.acme, "/api/v1/batches",
                   '{"reference": "PO\\u0000-1", "rows": [{"serial": "S1"}]}')
    assert r.status_code == 422 and r.get_json()["error"]["details"] == [
        {"field": "reference", "message": "holds a NUL character (U+0000)"}]
    r = _post_json(client, world.acme, "/api/v1/batches", '{"reference": "PO-1", "rows": [{"serial": "S\\ud800"}]}')
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == "rows[0].serial"
    assert "lone surrogate (U+D800)" in r.get_json()["error"]["message"]


def test_a_character_beyond_the_basic_plane_written_as_a_surrogate_pair_is_text(client, world):
    r = _post_json(client, world.acme, "/api/v1/batches",
                   '{"reference": "PO \\ud83d\\ude00", "rows": [{"serial": "EMOJI-1"}]}')
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["batch"]["reference"] == "PO \U0001F600"


def test_query_parameters_and_form_fields_and_file_names_follow_the_same_rule(client, world, app):
    r = client.get("/api/v1/batches?status=open%00", headers=world.acme.headers)
    assert r.status_code == 422 and "query parameter 'status'" in r.get_json()["error"]["message"]
    r = upload(client, world.acme, csv_bytes("Serial", "S1"), name="list\x00.csv")
    assert r.status_code == 422 and "the name of the file" in r.get_json()["error"]["message"]
    r = upload(client, world.acme, csv_bytes("Serial", "S1"), reference="PO\x00")
    assert r.status_code == 422 and "form field 'reference'" in r.get_json()["error"]["message"]
    browser = app.test_client()
    token = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    page = browser.post("/login", data={"email": "a\x00b@x.test", "password": "x", "csrf_token": token})
    assert page.status_code == 422 and "NUL character" in page.get_data(as_text=True)


def test_json_nested_past_reading_is_refused(client, world):
    deep = '{"reference": "x", "rows": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = _post_json(client, world.acme, "/api/v1/batches", deep)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "json_too_deep"


def test_an_id_past_the_databases_integers_is_not_found(client, world):
    for path in ("/api/v1/batches/1099511627776", "/api/v1/devices/99999999999999999999"):
        r = client.get(path, headers=world.acme.headers)
        assert r.status_code == 404, (path, r.status_code)


def test_a_nul_in_an_asset_list_is_a_problem_with_its_row_and_column(client, world):
    rows = ["Serial,Model"] + [f"S{i:04d},Latitude" for i in range(300)] + ["S9999,Bad\x00Model"]
    r = upload(client, world.acme, csv_bytes(*rows))
    assert r.status_code == 422
    (problem,) = r.get_json()["error"]["details"]["problems"]
    assert (problem["row"], problem["column"], problem["code"]) == (302, "Model", "control_character")


def test_numbers_past_their_columns_are_refused_by_name(client, world):
    r = client.post("/api/v1/receive", json={"serial": "X", "batch_id": 2**40}, headers=world.tech.headers)
    assert r.status_code == 422 and "batch_id" in str(r.get_json()["error"]["details"])
    r = client.post("/api/v1/sanitizations/bulk", json={"items": [{"medium_id": 1, "device_id": 2**40,
                    "method": "clear", "technique": "overwrite"}]}, headers=world.tech.headers)
    assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "rejected"
    assert "device_id" in r.get_json()["results"][0]["reason"]
    r = upload(client, world.admin, csv_bytes("Serial", "S1"), organization_id=str(2**40))
    assert r.status_code == 422
    r = client.post("/api/v1/devices/1/list", json={"list_price": "1" + "0" * 40}, headers=world.tech.headers)
    assert r.status_code == 422 and "below 10,000,000,000" in str(r.get_json()["error"]["details"])


def test_a_nul_in_a_column_heading_is_refused_by_its_column(client, world):
    # (A NUL within the first kilobyte makes the file binary, refused as such; past it, the heading is named.)
    title = "Asset export of the third floor " + "x" * 1100
    r = upload(client, world.acme, csv_bytes(title, "Serial,Cost\x00Centre", "S1,CC-1"))
    assert r.status_code == 422 and "heading of column 2 (row 2)" in r.get_json()["error"]["message"]


def test_a_chunked_body_past_the_limit_is_413(client, world, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    boundary = "LIMIT"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"reference\"\r\n\r\nPO\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            "serial\n").encode() + b"S1\n" * (limit // 3 + 10) + f"\r\n--{boundary}--\r\n".encode()
    r = client.post("/api/v1/batches", input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
                    headers={**world.acme.headers, "Transfer-Encoding": "chunked",
                             "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and r.get_json()["error"]["details"] == {"limit_bytes": limit}


def test_a_nul_in_the_address_is_named_too(client, app):
    r = client.get("/api/v1/verify/COS-2026%00-000001")
    assert r.status_code == 422 and "the number in the address" in r.get_json()["error"]["message"]
    assert app.test_client().get("/verify/COS%00X").status_code == 422
