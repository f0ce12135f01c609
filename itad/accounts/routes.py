"""The caller, their tokens, and (for admins) organizations and users."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from itad import accounts
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.api.schemas import Out
from itad.models import ApiToken, Organization, User, db


class OrganizationOut(Out):
    id: int
    name: str
    slug: str
    kind: str


class UserOut(Out):
    id: int
    email: str
    name: str
    role: str
    organization: OrganizationOut


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = Field(None, description="null: until revoked")


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself. Shown this once; only its hash is kept.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="the token stops working after this "
                                        "many days; omitted: until revoked")


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(None, pattern=r"^[a-z0-9-]{1,80}$")
    kind: str = Field("client", pattern="^(client|operator)$")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: int = Field(ge=1, le=2**31 - 1)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(client|technician|admin)$")
    password: str | None = Field(None, min_length=10, max_length=200)


@bp.get("/health")
@operation("Liveness: the app answers and reaches its database", roles=None, tags=("meta",))
def health():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/me")
@operation("Who the token belongs to", response=UserOut, tags=("accounts",))
def me():
    return UserOut.model_validate(current_user())


@bp.get("/tokens")
@operation("List your API tokens", response=list[TokenOut], tags=("accounts",))
def list_tokens():
    rows = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user().id).order_by(ApiToken.id)
    )
    return [TokenOut.model_validate(t).model_dump(mode="json") for t in rows]


@bp.post("/tokens")
@operation("Create an API token for yourself", body=TokenIn, response=NewTokenOut, status=201, tags=("accounts",))
def create_token(body: TokenIn):
    token, plain = accounts.create_token(db.session, current_user(), body.name, expires_in_days=body.expires_in_days)
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), token=plain)


@bp.delete("/tokens/<int:token_id>")
@operation("Revoke a token", response=TokenOut, tags=("accounts",), errors=(404,))
def revoke_token(token_id: int):
    return TokenOut.model_validate(accounts.revoke_user_token(db.session, current_user(), token_id))


@bp.get("/organizations")
@operation("List organizations", roles=("admin",), response=list[OrganizationOut], tags=("admin",))
def list_organizations():
    rows = db.session.scalars(sa.select(Organization).order_by(Organization.id))
    return [OrganizationOut.model_validate(o).model_dump(mode="json") for o in rows]


@bp.post("/organizations")
@operation("Create an organization", roles=("admin",), body=OrganizationIn, response=OrganizationOut,
           status=201, tags=("admin",), errors=(409,))
def create_organization(body: OrganizationIn):
    return OrganizationOut.model_validate(
        accounts.create_organization(db.session, body.name, kind=body.kind, slug=body.slug)
    )


@bp.post("/users")
@operation("Create a user", roles=("admin",), body=UserIn, response=UserOut, status=201, tags=("admin",),
           errors=(404, 409))
def create_user(body: UserIn):
    org = accounts.find_organization(db.session, str(body.organization_id))
    user = accounts.create_user(db.session, org, body.email, body.name, body.role, body.password)
    return UserOut.model_validate(user)


class UserChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = Field(None, description="false: the user can no longer sign in or use a token")
    role: str | None = Field(None, pattern="^(client|technician|admin)$",
                             description="an operator's users: technician or admin")


class PasswordResetOut(BaseModel):
    password: str = Field(description="the new password, shown this once; the user's sessions have ended")


def _user(user_id: int) -> User:
    return accounts.get_user(db.session, user_id)


@bp.patch("/users/<int:user_id>")
@operation("Deactivate or reactivate a user, or change an operator's user's role (their sessions end)",
           roles=("admin",), body=UserChangeIn, response=UserOut, tags=("admin",), errors=(404, 409, 422))
def change_user(user_id: int, body: UserChangeIn):
    user = _user(user_id)
    if body.role is not None:
        accounts.set_role(db.session, current_user(), user, body.role)
    if body.active is not None:
        accounts.set_active(db.session, current_user(), user, body.active)
    return UserOut.model_validate(user)


@bp.post("/users/<int:user_id>/password-reset")
@operation("Give a user a new random password (shown once); their sessions end and a lockout lifts",
           roles=("admin",), response=PasswordResetOut, tags=("admin",), errors=(404,))
def reset_user_password(user_id: int):
    return PasswordResetOut(password=accounts.reset_password(db.session, current_user(), _user(user_id)))
