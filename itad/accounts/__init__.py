"""Organizations, users and tokens: the services behind the CLI, the API routes (routes.py) and the
admin and sign-in pages (admin_pages.py, sign_in_pages.py) of this folder."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itad import audit_log
from itad.auth.passwords import hash_password
from itad.auth.tokens import issue_token, revoke_token
from itad.errors import Conflict, Invalid, NotFound
from itad.models import ApiToken, Organization, OrgKind, Role, User


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "org"


def create_organization(session: Session, name: str, *, kind: str = "client", slug: str | None = None,
                        location: str | None = None, phone: str | None = None) -> Organization:
    if kind not in {k.value for k in OrgKind}:
        raise Invalid(f"Organization kind must be client or operator, not {kind!r}.")
    slug = slug or slugify(name)
    if session.scalar(sa.select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(f"An organization with the slug {slug!r} exists already.", code="duplicate")
    if kind == OrgKind.operator.value and session.scalar(
        sa.select(Organization.id).where(Organization.kind == OrgKind.operator.value)
    ):
        raise Conflict("There is already an operator organization; there can be only one.", code="duplicate")
    org = Organization(name=name, slug=slug, kind=kind, location=location, phone=phone)
    session.add(org)
    session.flush()
    audit_log.record(session, "organization_created", subject=f"organization {org.name}",
                     organization_id=None if org.is_operator else org.id,
                     after={"name": name, "slug": slug, "kind": kind})
    return org


def operator(session: Session) -> Organization | None:
    return session.scalar(sa.select(Organization).where(Organization.kind == OrgKind.operator.value))


def create_user(session: Session, organization: Organization, email: str, name: str, role: str,
                password: str | None = None, *, title: str | None = None, phone: str | None = None) -> User:
    if role not in {r.value for r in Role}:
        raise Invalid(f"Role must be client, technician or admin, not {role!r}.")
    # The tenant rule rests on this: operator staff are technicians or admins, client staff are clients.
    if organization.is_operator == (role == Role.client.value):
        expected = "technician or admin" if organization.is_operator else "client"
        raise Invalid(f"Users of {organization.name} must have the role {expected}.", code="role_mismatch")
    email = email.strip().lower()
    if session.scalar(sa.select(User.id).where(User.email == email)):
        raise Conflict(f"A user with the email {email} exists already.", code="duplicate")
    user = User(organization=organization, email=email, name=name, role=role, title=title, phone=phone,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    audit_log.record(session, "user_created", subject=f"user {email}", organization_id=_client_id(organization),
                     after={"email": email, "name": name, "role": role, "title": title})
    return user


def _client_id(organization: Organization) -> int | None:
    """The organization an audit event is about, for its client to see (None: the operator's own)."""
    return None if organization.is_operator else organization.id


def create_token(session: Session, user: User, name: str, *, expires_in_days: int | None = None
                 ) -> tuple[ApiToken, str]:
    token, secret = issue_token(session, user, name, expires_in_days=expires_in_days)
    audit_log.record(session, "token_issued", subject=f"token {token.id} ({name}) of {user.email}",
                     organization_id=_client_id(user.organization),
                     after={"token_id": token.id, "name": name, "user": user.email,
                            "expires_at": token.expires_at})
    return token, secret


def revoke_user_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    # A user revokes their own tokens; an admin may revoke anyone's.
    if token is None or (token.user_id != user.id and user.role != Role.admin.value):
        raise NotFound(f"No token with id {token_id}.")
    revoke_token(session, token)
    owner = session.get(User, token.user_id)
    audit_log.record(session, "token_revoked", subject=f"token {token.id} ({token.name}) of {owner.email}",
                     organization_id=_client_id(owner.organization), before={"token_id": token.id, "revoked": False},
                     after={"token_id": token.id, "revoked": True})
    return token


def find_organization(session: Session, slug_or_id: str) -> Organization:
    org = session.scalar(sa.select(Organization).where(Organization.slug == slug_or_id))
    if org is None and slug_or_id.isdigit():
        org = session.get(Organization, int(slug_or_id))
    if org is None:
        raise NotFound(f"No organization {slug_or_id!r}.")
    return org


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with the email {email}.")
    return user


def client_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(
        sa.select(Organization).where(Organization.kind == OrgKind.client.value).order_by(Organization.name)))


def list_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(sa.select(Organization).order_by(Organization.kind.desc(), Organization.name)))


def list_users(session: Session, organization: Organization) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.organization_id == organization.id).order_by(User.name)))


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def _not_yourself(actor: User | None, user: User, what: str) -> None:
    if actor is not None and actor.id == user.id:
        raise Conflict(f"You cannot {what} your own account; ask another admin.", code="own_account",
                       details={"allowed": [], "needs": ["another admin"]})


def set_active(session: Session, actor: User | None, user: User, active: bool) -> User:
    """Deactivate (or reactivate) a user: a deactivated user's sessions and tokens stop working at once."""
    if user.active == active:
        return user
    if not active:
        _not_yourself(actor, user, "deactivate")
    user.active = active
    session.flush()
    audit_log.record(session, "user_reactivated" if active else "user_deactivated", subject=f"user {user.email}",
                     organization_id=_client_id(user.organization), actor=actor,
                     before={"active": not active}, after={"active": active})
    return user


def set_role(session: Session, actor: User | None, user: User, role: str) -> User:
    """Move an operator's user between technician and admin (a client's users are clients); their sessions end."""
    if user.role == role:
        return user
    if user.organization.is_operator != (role != Role.client.value) or role not in {r.value for r in Role}:
        expected = "technician or admin" if user.organization.is_operator else "client"
        raise Invalid(f"Users of {user.organization.name} must have the role {expected}.", code="role_mismatch")
    _not_yourself(actor, user, "change the role of")
    before = user.role
    user.role = role
    session.flush()
    audit_log.record(session, "user_role_changed", subject=f"user {user.email}",
                     organization_id=_client_id(user.organization), actor=actor,
                     before={"role": before}, after={"role": role})
    return user


def reset_password(session: Session, actor: User | None, user: User) -> str:
    """A new random password for the user (returned, to hand over once); their sessions end and a lockout lifts."""
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    audit_log.record(session, "user_password_reset", subject=f"user {user.email}",
                     organization_id=_client_id(user.organization), actor=actor)
    return password
