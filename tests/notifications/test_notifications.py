"""A client's events reach its systems and its people: signed webhooks on a real HTTP server on 127.0.0.1, email on
a real SMTP server (aiosmtpd), sent after the commit, tried again on failure, every delivery's status shown."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from itad.models import Delivery
from tests.intake.test_intake_api import csv_bytes, upload


class Receiver:
    def __init__(self) -> None:
        self.calls: list[tuple] = []     # (headers, as case-insensitive as HTTP's, body)
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((self.headers, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.server.shutdown()


@pytest.fixture(autouse=True)
def no_pause(app):
    app.config["NOTIFY_RETRY_SECONDS"] = 0
    yield
    app.config["NOTIFY_RETRY_SECONDS"] = 2.0


def _endpoint(client, party, url, events=()):
    r = client.post("/api/v1/webhooks", json={"url": url, "events": list(events)}, headers=party.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_registered_batch_reaches_the_clients_endpoint_signed(client, world, receiver):
    hook = _endpoint(client, world.acme, receiver.url)
    assert len(hook["secret"]) == 64
    assert upload(client, world.acme, csv_bytes("Serial", "HOOK-1", "HOOK-2"), reference="PO-HOOK").status_code == 201
    ((headers, body),) = receiver.calls
    assert headers["X-ITAD-Event"] == "batch_registered"
    expected = hmac.new(hook["secret"].encode(), headers["X-ITAD-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-ITAD-Signature"] == "sha256=" + expected
    assert abs(time.time() - int(headers["X-ITAD-Timestamp"])) < 60
    data = json.loads(body)
    assert data["event"] == "batch_registered" and data["data"]["reference"] == "PO-HOOK" and data["data"]["devices"] == 2
    (delivery,) = client.get("/api/v1/webhooks/deliveries", headers=world.acme.headers).get_json()["items"]
    assert (delivery["status"], delivery["attempts"], delivery["last_result"]) == ("sent", 1, "HTTP 204")


def test_an_endpoint_gets_only_its_events_and_a_refused_list_sends_nothing(client, world, receiver):
    _endpoint(client, world.acme, receiver.url, events=["certificate_issued"])
    upload(client, world.acme, csv_bytes("Serial", "ONLY-1"))
    assert receiver.calls == []
    _endpoint(client, world.acme, receiver.url)
    assert upload(client, world.acme, csv_bytes("Model", "no serial column")).status_code == 422
    assert receiver.calls == []                                        # rolled back: nothing was sent


def test_a_failing_endpoint_is_tried_again_and_its_failure_shown(client, world, receiver, session):
    receiver.status = 500
    _endpoint(client, world.acme, receiver.url)
    upload(client, world.acme, csv_bytes("Serial", "FAIL-1"))
    assert len(receiver.calls) == 5                                    # every attempt reached it
    session.expire_all()
    delivery = session.scalars(sa.select(Delivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_result) == (
        "failed", 5, "RuntimeError: the endpoint answered HTTP 500")


def test_an_unexpected_unit_is_a_discrepancy_the_client_hears_of(client, world, receiver, session):
    from tests.factories import make_batch

    batch = make_batch(session, world.acme.org, devices=1)
    session.commit()
    _endpoint(client, world.acme, receiver.url, events=["discrepancy_found"])
    r = client.post("/api/v1/receive", json={"serial": "NOT-LISTED-1", "batch_id": batch.id}, headers=world.tech.headers)
    assert r.status_code in (200, 201), r.get_json()
    ((headers, body),) = receiver.calls
    assert headers["X-ITAD-Event"] == "discrepancy_found" and json.loads(body)["data"]["serial"] == "NOT-LISTED-1"


def test_another_client_neither_sees_nor_removes_an_endpoint(client, world, receiver):
    hook = _endpoint(client, world.acme, receiver.url)
    assert client.get("/api/v1/webhooks", headers=world.globex.headers).get_json()["items"] == []
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=world.globex.headers).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=world.acme.headers).status_code == 200


def test_the_clients_people_get_an_email_on_a_real_smtp_server(client, world, app):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(Handler(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        upload(client, world.acme, csv_bytes("Serial", "MAIL-1"), reference="PO-MAIL")
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25)
        smtp.stop()
    assert [to for to, _ in received] == [[world.acme.user.email]]
    assert "Subject: Batch PO-MAIL registered: 1 devices" in received[0][1]


def test_the_last_listed_unit_received_says_the_batch_arrived_in_full_once(client, world, receiver, session):
    from tests.factories import make_batch
    from tests.workflow_db.conftest import Bench, devices_of

    _endpoint(client, world.acme, receiver.url, events=["received_in_full"])
    batch = make_batch(session, world.acme.org, reference="PO-FULL", devices=2)
    session.commit()
    first, second = devices_of(session, batch)
    bench = Bench(client, world)
    bench.receive(world.tech, first.serial, batch.id)
    bench.receive(world.tech, "EXTRA-9", batch.id)          # an extra unit is not a listed one
    assert receiver.calls == []
    bench.receive(world.tech, second.serial, batch.id)
    ((headers, body),) = receiver.calls
    data = json.loads(body)["data"]
    assert headers["X-ITAD-Event"] == "received_in_full" and (data["reference"], data["devices"]) == ("PO-FULL", 2)


def test_selling_the_last_unit_of_a_closed_batch_says_its_settlement_is_final(client, world, receiver, session):
    from datetime import date
    from decimal import Decimal

    from itad.inventory import stock
    from tests.web.conftest import stock_units

    _endpoint(client, world.acme, receiver.url, events=["settlement_ready"])
    first, second = stock_units(session, world, 2)
    client.post(f"/api/v1/batches/{first.batch_id}/close", headers=world.admin.headers)
    for n, unit in enumerate((first, second)):
        assert receiver.calls == []                            # a unit still in stock: not final yet
        stock.sell(session, world.admin.user, unit, price=Decimal("100.00"), currency="EUR",
                   buyer_reference=f"buyer-{n}", sold_on=date(2026, 12, 1))
        session.commit()
    ((headers, body),) = receiver.calls
    data = json.loads(body)["data"]
    assert headers["X-ITAD-Event"] == "settlement_ready" and data["units_sold"] == 2


def test_a_phone_found_locked_tells_its_client_once(client, world, receiver, session):
    from itad.steps import locks, receiving
    from tests.factories import make_batch
    from tests.workflow_db.conftest import devices_of

    _endpoint(client, world.acme, receiver.url, events=["locked_device"])
    batch = make_batch(session, world.acme.org, reference="PO-LOCK", devices=1, category="phone")
    session.commit()
    phone = devices_of(session, batch)[0]
    receiving.receive(session, world.tech.user, serial=phone.serial, batch_id=batch.id)
    locks.record_locks(session, world.tech.user, phone.id, {"mdm": ("locked", "Settings: Remote Management")})
    session.commit()
    locks.record_locks(session, world.tech.user, phone.id, {"carrier": ("locked", "SIM test")})   # still locked
    session.commit()
    ((headers, body),) = receiver.calls
    data = json.loads(body)["data"]
    assert headers["X-ITAD-Event"] == "locked_device" and (data["serial"], data["locks"]) == (phone.serial, ["mdm"])
