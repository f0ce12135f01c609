"""Factories for test data, in one place."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from itad import accounts
from itad.models import Batch, Device, Organization, StorageMedium, User

_seq = itertools.count(1)

PASSWORD = "correct-horse-battery"


def make_org(session: Session, name: str | None = None, kind: str = "client") -> Organization:
    n = next(_seq)
    return accounts.create_organization(session, name or f"Client {n}", kind=kind, slug=f"org-{n}")


def make_user(session: Session, org: Organization, role: str, name: str | None = None) -> User:
    n = next(_seq)
    return accounts.create_user(session, org, f"user{n}@example.test", name or f"User {n}", role, PASSWORD)


def make_token(session: Session, user: User) -> str:
    return accounts.create_token(session, user, "test")[1]


def make_batch(session: Session, org: Organization, reference: str | None = None, devices: int = 0,
               category: str = "laptop", media_per_device: int = 1) -> Batch:
    n = next(_seq)
    batch = Batch(organization_id=org.id, reference=reference or f"PO-{n}", device_count=devices)
    session.add(batch)
    session.flush()
    for i in range(devices):
        device = Device(batch_id=batch.id, organization_id=org.id, serial=f"SN{n:04d}{i:05d}",
                        manufacturer="Dell", model="Latitude 5490", category=category, manifest_row=i + 2)
        session.add(device)
        session.flush()
        for m in range(media_per_device):
            session.add(StorageMedium(device_id=device.id, serial=f"DR{n:04d}{i:05d}{m}", media_type="ssd"))
    session.flush()
    return batch


@dataclass
class Party:
    org: Organization
    user: User
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    operator: Organization
    admin: Party
    tech: Party
    tech2: Party
    acme: Party
    globex: Party

    @classmethod
    def build(cls, session: Session) -> "World":
        op = make_org(session, "Operator", kind="operator")

        def party(org, role):
            user = make_user(session, org, role)
            return Party(org, user, make_token(session, user))

        acme_org, globex_org = make_org(session, "Acme Bank"), make_org(session, "Globex Hospital")
        world = cls(op, party(op, "admin"), party(op, "technician"), party(op, "technician"),
                    party(acme_org, "client"), party(globex_org, "client"))
        session.commit()
        return world


def phone_grade(cosmetic: str = "A", battery_health: int = 90) -> dict:
    """The body of a phone's grading from its checklist (the phone scheme requires it): every check passed."""
    from workflows.grading import DEFAULT_SCHEMES

    checks = {c["key"]: True for c in DEFAULT_SCHEMES["phone"]["checks"] if c.get("kind", "pass") == "pass"}
    return {"cosmetic": cosmetic, "checks": {**checks, "battery_health": battery_health}}
