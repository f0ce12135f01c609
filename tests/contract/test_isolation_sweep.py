"""Tenant isolation, swept over the route table.

For every API route that takes an id, a client of another organization asks for
a row that belongs to Acme: the answer must be 404, exactly like a missing row (or
403 where clients may not call the operation at all), and must not leak Acme's data.

The sweep is generated from the routes, so a new endpoint cannot be forgotten: an id
parameter without a factory here, or a request body without a sample, fails the test
and says what to add.
"""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from flask import current_app

from itad.jobs import enqueue
from itad.models import ApiToken, Device, StorageMedium
from tests.factories import make_batch

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

# How to find an id of each kind that belongs to Acme (the victim).
ID_FACTORIES = {
    "batch_id": lambda s, w, ctx: ctx["batch"].id,
    "device_id": lambda s, w, ctx: ctx["device"].id,
    "medium_id": lambda s, w, ctx: ctx["medium"].id,
    "token_id": lambda s, w, ctx: s.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == w.acme.user.id)),
    "job_id": lambda s, w, ctx: ctx["job"].id,
    "org_id": lambda s, w, ctx: w.acme.org.id,
    "certificate_id": lambda s, w, ctx: ctx["certificate"].id,
    "item_id": lambda s, w, ctx: _acme_item(s, ctx).id,
    "probe_id": lambda s, w, ctx: ctx["probe"].id,
    # Checkpoints are the operator's (every client's heads): a client is refused by role (403) before any lookup.
    "checkpoint_id": lambda s, w, ctx: 1,
    "endpoint_id": lambda s, w, ctx: _acme_endpoint(s, w).id,
    "user_id": lambda s, w, ctx: w.acme.user.id,
    # Grading schemes are the operator's, per category: a client is refused by role (403) before any lookup.
    "category": lambda s, w, ctx: "phone",
    # Returns are the operator's: a client is refused by role (403) before the sale is looked up.
    "sale_id": lambda s, w, ctx: 1,
    "pickup_id": lambda s, w, ctx: _acme_pickup(s, w).id,
    "container_id": lambda s, w, ctx: 1,
    "lot_id": lambda s, w, ctx: _acme_lot(s, ctx).id,
    # Vendors are the operator's: a client is refused by role (403) before any lookup.
    "vendor_id": lambda s, w, ctx: 1,
}


def _acme_lot(session, ctx):
    from itad.models import MaterialLot

    lot = MaterialLot(batch_id=ctx["batch"].id, category="loose_drives", declared_count=3)
    session.add(lot)
    session.flush()
    return lot


def _acme_pickup(session, world):
    from datetime import date

    from itad.models import Pickup

    pickup = Pickup(organization_id=world.acme.org.id, site_address="x", contact_name="y", contact_phone="z",
                    window_start=date.today(), window_end=date.today(), expected={})
    session.add(pickup)
    session.flush()
    return pickup


def _acme_endpoint(session, world):
    from itad.models import WebhookEndpoint

    endpoint = WebhookEndpoint(organization_id=world.acme.org.id, url="https://acme.example/hooks", secret="s" * 64,
                               events=[], active=True)
    session.add(endpoint)
    session.flush()
    return endpoint

# A valid body per request schema, so the request reaches the lookup (not a 422).
SAMPLE_BODIES: dict[str, dict] = {
    "TokenIn": {"name": "probe"},
    "PolicyIn": {"rules": {}},
    "ReconcileIn": {"accept": True},
    "SanitizationIn": {"method": "purge", "technique": "crypto_erase"},
    "VerifyIn": {"passed": True},
    "GradeIn": {"grade": "A"},
    "MediumFactsIn": {"media_type": "ssd"},
    "DataHandlingIn": {"confidentiality": "low"},
    "ReviewMatchIn": {"medium_id": 1},
    "ReviewDismissIn": {"reason": "probe"},
    "WebhookIn": {"url": "https://globex.example/hooks"},
    "QuoteIn": {"currency": "EUR"},
    "SchemeIn": {"definition": {"checks": [], "rules": [{"grade": "D"}]}},
    "ConditionIn": {"marketplace": "backmarket", "grade": "A", "condition": "Excellent"},
    "WarrantyTermIn": {"channel": "direct", "months": 6},
    "LocksIn": {"checks": {"frp": {"status": "clear", "source": "settings"}}},
    "LockAnswerIn": {"action": "recheck"},
    "UserChangeIn": {"active": False},
    "DestroyIn": {"technique": "shred"},
    "IssueIn": {},
    "RevokeIn": {"reason": "probe"},
    "ListIn": {"location": "A1"},
    "ItemPatchIn": {"location": "A2"},
    "ReserveIn": {"buyer_reference": "probe"},
    "SaleIn": {"price": "1.00", "currency": "EUR", "buyer_reference": "probe", "sold_on": "2025-01-01"},
    "WithdrawIn": {"reason": "probe"},
    "ReturnIn": {"reason_code": "defective", "returned_on": "2025-01-02"},
    "ScheduleIn": {"scheduled_for": "2030-01-01", "crew": "c", "vehicle": "v"},
    "ContainerIn": {"kind": "pallet", "seal_number": "S1", "pieces": 1, "weight_kg": "1.00"},
    "HandoffIn": {"client_representative": "a", "driver": "b"},
    "SealCheckIn": {"seal_read": "S1", "intact": True},
    "StepIn": {},
    "CancelIn": {"reason": "probe"},
    "BatchIn": {"batch_id": 1},
    "LotIn": {"category": "cables", "stage": "dock", "count": 1},
    "PiecesIn": {"wiped": 1},
    "CertificationIn": {"standard": "R2v3", "certificate_number": "x", "valid_from": "2025-01-01",
                        "expires_on": "2026-01-01"},
    "FactorIn": {"co2e_avoided_kg": "1.00", "source": "probe"},
    "RecyclingIn": {},
    "SnmpProbeIn": {"targets": [{"address": "127.0.0.1", "port": 9}], "credentials": {"community": "probe"}},
    "TermsIn": {"client_share_percent": "50.00"},
}

# Public operations answer by design without a token (e.g. certificate verification).
PUBLIC_OK = {
    # By number, not id; shows what the printed certificate shows, never the client (itad.certification.verifying).
    "api.verify_number",
}


def _acme_item(session, ctx):
    """A stock row for Acme's device (written directly: the sweep needs an id, not the workflow)."""
    from itad.models import InventoryItem

    if "item" not in ctx:
        d = ctx["device"]
        ctx["item"] = InventoryItem(device_id=d.id, batch_id=d.batch_id, organization_id=d.organization_id,
                                    sku="LAPTOP-DELL-LATITUDE-5490-NA", currency="EUR")
        session.add(ctx["item"])
        session.commit()
    return ctx["item"]


def _victim(session, world) -> dict:
    batch = make_batch(session, world.acme.org, reference="ACME-SECRET-PO", devices=1)
    device = session.scalar(sa.select(Device).where(Device.batch_id == batch.id))
    medium = session.scalar(sa.select(StorageMedium).where(StorageMedium.device_id == device.id))
    from tests.jobs.sample_jobs import count_to

    job = enqueue(session, count_to, organization_id=world.acme.org.id, steps=0, slug="acme-job")
    certificate = _certificate_row(session, world, batch)
    probe = _snmp_probe_row(session, world, batch, device)
    session.commit()
    return {"batch": batch, "device": device, "medium": medium, "job": job, "certificate": certificate,
            "probe": probe,
            "secrets": [batch.reference, device.serial, certificate.number]}


def _snmp_probe_row(session, world, batch, device):
    """An Acme SNMP probe with one result naming Acme's device (no probing: the sweep needs ids)."""
    from itad.models import SnmpProbe, SnmpResult

    probe = SnmpProbe(organization_id=world.acme.org.id, batch_id=batch.id, target_count=1)
    session.add(probe)
    session.flush()
    session.add(SnmpResult(probe_id=probe.id, position=0, organization_id=world.acme.org.id, address="10.9.9.9",
                           version="2c", status="ok", chassis_serial=device.serial, device_id=device.id))
    session.flush()
    return probe


def _certificate_row(session, world, batch):
    """An Acme certificate row (no rendering: the sweep needs only its id)."""
    from itad.models import Certificate, CertificateRequest, SigningKey

    key = SigningKey(fingerprint="0" * 64, subject="CN=probe", cert_pem="-", key_encrypted=b"-", source="generated",
                     active=False)
    session.add(key)
    session.flush()
    req = CertificateRequest(kind="batch", batch_id=batch.id, organization_id=world.acme.org.id,
                             number="COS-2000-999999")
    session.add(req)
    session.flush()
    cert = Certificate(number=req.number, kind="batch", batch_id=batch.id, organization_id=world.acme.org.id,
                       request_id=req.id, sha256="a" * 64, size_bytes=1, json_sha256="b" * 64,
                       signing_key_id=key.id, summary={})
    session.add(cert)
    session.flush()
    return cert


def _routes():
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or not PARAM.search(rule.rule):
            continue
        op = getattr(current_app.view_functions[rule.endpoint], "operation", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, op


def test_another_clients_ids_answer_404_everywhere(client, session, world):
    ctx = _victim(session, world)
    checked, problems = 0, []
    for rule, method, op in _routes():
        if op is None:
            problems.append(f"{method} {rule.rule}: not declared with @operation")
            continue
        if op.roles is None:
            if rule.endpoint not in PUBLIC_OK:
                problems.append(f"{method} {rule.rule}: public route taking an id; add to PUBLIC_OK with a reason")
            continue
        path = rule.rule
        for name in PARAM.findall(rule.rule):
            if name not in ID_FACTORIES:
                problems.append(f"{method} {rule.rule}: no factory for id parameter {name!r} in ID_FACTORIES")
                break
            path = re.sub(rf"<(?:\w+:)?{name}>", str(ID_FACTORIES[name](session, world, ctx)), path)
        else:
            kwargs = {"headers": world.globex.headers}
            if op.body is not None:
                if op.body.__name__ not in SAMPLE_BODIES:
                    problems.append(f"{method} {rule.rule}: no sample body for {op.body.__name__} in SAMPLE_BODIES")
                    continue
                kwargs["json"] = SAMPLE_BODIES[op.body.__name__]
            elif op.form:
                kwargs["data"] = {k: (io.BytesIO(b"serial\nX1\n"), "list.csv") if v == "file" else "x"
                                  for k, v in op.form.items()}
            response = client.open(path, method=method, **kwargs)
            expected = 404 if "client" in op.roles else 403
            checked += 1
            if response.status_code != expected:
                problems.append(f"{method} {path}: {response.status_code}, expected {expected}")
            leaked = [s for s in ctx["secrets"] if s.encode() in response.data]
            if leaked:
                problems.append(f"{method} {path}: response shows {leaked}")
    assert not problems, "\n".join(problems)
    assert checked >= 4


def test_the_victims_own_client_can_read_them(client, session, world):
    """The sweep above would pass vacuously if every id were simply wrong: Acme itself reads them."""
    ctx = _victim(session, world)
    assert client.get(f"/api/v1/batches/{ctx['batch'].id}", headers=world.acme.headers).status_code == 200
    assert client.get(f"/api/v1/devices/{ctx['device'].id}", headers=world.acme.headers).status_code == 200
    assert client.get(f"/api/v1/snmp/probes/{ctx['probe'].id}", headers=world.acme.headers).status_code == 200
    own = client.get(f"/api/v1/devices/{ctx['device'].id}/snmp", headers=world.acme.headers).get_json()
    assert [r["probe_id"] for r in own["items"]] == [ctx["probe"].id]
