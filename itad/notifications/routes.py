"""A client's webhook endpoints and its deliveries over the API (admins: any client's)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from itad import notifications
from itad.api import bp
from itad.api.contract import current_user, operation
from itad.api.schemas import Out
from itad.models import db

Event = Literal["batch_registered", "received_in_full", "discrepancy_found", "certificate_issued",
                "certificate_revoked", "locked_device", "settlement_ready", "unit_returned",
                "pickup_scheduled", "seal_exception"]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=500, description="where the events are POSTed (https://...)")
    events: list[Event] = Field(default_factory=list, description="the events to send; empty: every event")
    organization_id: int | None = Field(None, ge=1, le=2**31 - 1, description="admins: the client it is for")


class WebhookOut(Out):
    id: int
    organization_id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="the HMAC-SHA256 key of X-ITAD-Signature; shown this once")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(Out):
    id: int
    organization_id: int
    event: str
    channel: str
    target: str
    status: str
    attempts: int
    last_result: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


def _scope() -> int | None:
    user = current_user()
    return None if user.role == "admin" else user.organization_id


@bp.post("/webhooks")
@operation("Add a webhook endpoint: the client's events are POSTed to it, signed (X-ITAD-Signature: sha256=HMAC of "
           "'<X-ITAD-Timestamp>.<body>' with the secret shown once)", roles=("client", "admin"), body=WebhookIn,
           response=WebhookCreatedOut, status=201, tags=("notifications",), errors=(403, 404, 422))
def add_webhook(body: WebhookIn):
    organization = notifications.owner_for(db.session, current_user(), body.organization_id)
    endpoint = notifications.add_endpoint(db.session, organization, body.url, list(body.events))
    return WebhookCreatedOut(**WebhookOut.model_validate(endpoint).model_dump(), secret=endpoint.secret)


@bp.get("/webhooks")
@operation("The webhook endpoints (a client: its own)", roles=("client", "admin"), response=WebhookList,
           tags=("notifications",), errors=(403,))
def list_webhooks():
    return WebhookList(items=notifications.endpoints(db.session, _scope()))


@bp.delete("/webhooks/<int:endpoint_id>")
@operation("Remove a webhook endpoint", roles=("client", "admin"), response=WebhookOut, tags=("notifications",),
           errors=(403, 404))
def remove_webhook(endpoint_id: int):
    return WebhookOut.model_validate(notifications.remove_endpoint(db.session, endpoint_id, _scope()))


@bp.get("/webhooks/deliveries")
@operation("The latest deliveries of events, by webhook and email, with their status (a client: its own)",
           roles=("client", "admin"), response=DeliveryList, tags=("notifications",), errors=(403,))
def list_deliveries():
    return DeliveryList(items=notifications.deliveries(db.session, _scope()))
