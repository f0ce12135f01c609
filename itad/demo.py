"""Demo data for the embedded default: one operator, one client, their people."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import accounts
from itad.auth.passwords import hash_password
from itad.certification import keys
from itad.models import Organization, User

DEMO_PASSWORD = "demo-password-1"

PEOPLE = [
    # (org slug, email, name, role, title)
    ("operator", "admin@itad.example", "Ada Admin", "admin", "Operations manager"),
    ("operator", "tech@itad.example", "Tom Technician", "technician", "Sanitization technician"),
    ("operator", "tech2@itad.example", "Vera Verifier", "technician", "Senior technician"),
    ("demo-bank", "client@bank.example", "Cora Client", "client", "IT asset manager"),
]


def _org(session: Session, slug: str, name: str, kind: str) -> Organization:
    org = session.scalar(sa.select(Organization).where(Organization.slug == slug))
    return org or accounts.create_organization(session, name, kind=kind, slug=slug,
                                               location="1 Recycling Way, Springfield" if kind == "operator" else None,
                                               phone="+1 555 0100" if kind == "operator" else None)


def _signing_key_line(session: Session, config, operator: Organization) -> str:
    """A self-signed key so closing a demo batch issues a certificate; kept when one exists."""
    if keys.active_key(session) is not None:
        return "Signing key: the active one is kept"
    if not config.get("SIGNING_KEY_PASSPHRASE"):
        return "Signing key: none (set SIGNING_KEY_PASSPHRASE, then run 'itad keys init')"
    key = keys.init_key(session, config, common_name=f"{operator.name} (demo)", organization=operator.name)
    return f"Signing key: created, self-signed, fingerprint {key.fingerprint[:16]}..."


def seed(session: Session, config) -> list[str]:
    """Create what is missing (running it twice is harmless) and issue fresh tokens."""
    base_url = config["PUBLIC_BASE_URL"]
    orgs = {
        "operator": _org(session, "operator", "Demo ITAD Services", "operator"),
        "demo-bank": _org(session, "demo-bank", "Demo Bank", "client"),
    }
    lines = [f"Web: {base_url}/login   password for every demo user: {DEMO_PASSWORD}"]
    for slug, email, name, role, title in PEOPLE:
        user = session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(session, orgs[slug], email, name, role, DEMO_PASSWORD, title=title)
        else:
            user.password_hash = hash_password(DEMO_PASSWORD)
        _, token = accounts.create_token(session, user, "demo")
        lines.append(f"{role:<10} {email:<22} token: {token}")
    lines.append(_signing_key_line(session, config, orgs["operator"]))
    lines.append(f'Try: curl -H "Authorization: Bearer <client token>" {base_url}/api/v1/batches')
    return lines
