"""Cleared laptops made through the real bench (receive, wipe, verify, grade, clear), and a sales history."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from itad.inventory.stock import model_key, sku_for
from itad.models import Device, InventoryItem, Sale
from tests.factories import make_batch
from tests.workflow_db.conftest import Bench, devices_of

_n = itertools.count(1)


@pytest.fixture
def bench(client, world):
    return Bench(client, world)


def clear(bench: Bench, world, device: Device, grade: str = "B") -> None:
    bench.wiped_and_verified(world, device)
    bench.ok(world.tech, "POST", f"/devices/{device.id}/grade",
             {"grade": grade, "functional_checks": {"boots": True, "keyboard": "ok"}})
    bench.ok(world.tech, "POST", f"/devices/{device.id}/clear")


@pytest.fixture
def acme_batch(session, world):
    batch = make_batch(session, world.acme.org, reference="ACME-RESALE-1", devices=3)
    for d in devices_of(session, batch):
        d.attributes = {"cpu": "i5-8350U", "ram_gb": "16"}
    session.commit()
    return batch


@pytest.fixture
def cleared(session, bench, world, acme_batch):
    """Acme's three laptops, cleared through the bench (grade B)."""
    devices = devices_of(session, acme_batch)
    for d in devices:
        clear(bench, world, d)
    session.expire_all()
    return devices_of(session, acme_batch)


def past_sale(session, org, *, manufacturer="Dell", model="Latitude 5490", grade="B", price="100.00",
              sold_on=date(2025, 6, 30), currency="EUR", fee="0.00", batch=None, category="laptop") -> Sale:
    """A sale from history, written as rows (device, sold stock row, sale): the price tests need many."""
    n = next(_n)
    batch = batch or make_batch(session, org)
    device = Device(batch_id=batch.id, organization_id=org.id, serial=f"HIST{n:05d}", manufacturer=manufacturer,
                    model=model, category=category, state="sold")
    session.add(device)
    session.flush()
    sku = sku_for(category, manufacturer, model, grade)
    item = InventoryItem(device_id=device.id, batch_id=batch.id, organization_id=org.id, sku=sku,
                         category=category, manufacturer=manufacturer, model=model, grade=grade, status="sold",
                         currency=currency)
    session.add(item)
    session.flush()
    sale = Sale(item_id=item.id, device_id=device.id, batch_id=batch.id, organization_id=org.id, sku=sku,
                model_key=model_key(manufacturer, model), grade=grade, price=Decimal(price), fee=Decimal(fee),
                currency=currency, buyer_reference=f"buyer-{n}", sold_on=sold_on)
    session.add(sale)
    session.flush()
    return sale
