"""What reaches a client without its asking: its events sent to its webhook endpoints and, when SMTP is configured,
to its users by email.

`notify` is called by the service where the event happens, in its transaction: a delivery row per endpoint and per
address, and a job per delivery sent after the commit (an event that rolls back sends nothing). A webhook request is
signed: X-ITAD-Signature is "sha256=" + HMAC-SHA256 of "<X-ITAD-Timestamp>." + the body, with the endpoint's
secret; the receiver checks it and refuses a timestamp older than a few minutes (replay). A failed delivery is
tried again with a growing pause, and every delivery's status is kept and shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from itad.errors import Invalid, NotFound
from itad.jobs import JobContext, enqueue, job
from itad.models import Delivery, Organization, User, WebhookEndpoint, utcnow

EVENTS = ("batch_registered", "received_in_full", "discrepancy_found", "certificate_issued", "certificate_revoked",
          "locked_device", "settlement_ready", "unit_returned",
          "pickup_scheduled", "seal_exception")
SUBJECTS = {"batch_registered": "Batch {reference} registered: {devices} devices",
            "received_in_full": "Batch {reference}: all {devices} listed devices received",
            "locked_device": "Batch {reference}: {serial} is locked to an account; it needs you",
            "pickup_scheduled": "Pickup PU-{pickup_id} scheduled for {scheduled_for} (vehicle {vehicle})",
            "seal_exception": "Pickup PU-{pickup_id}: seal {seal} arrived {result} (read {read})",
            "unit_returned": "Batch {reference}: {serial} came back from its buyer ({reason}); refund {refund} {currency}",
            "settlement_ready": "Batch {reference}: every resale unit sold or withdrawn; the settlement is final",
            "discrepancy_found": "Batch {reference}: unit {serial} arrived without a manifest line",
            "certificate_issued": "Certificate of sanitization {number} issued",
            "certificate_revoked": "Certificate of sanitization {number} revoked: {reason}"}
ATTEMPTS = 5


def owner_for(session: Session, user: User, organization_id: int | None) -> Organization:
    """Whose endpoint a new one is: a client's user adds its own; an admin names the client."""
    org_id = user.organization_id if user.role == "client" else organization_id
    organization = session.get(Organization, org_id) if org_id else None
    if organization is None or organization.is_operator:
        raise Invalid("Name the client organization the endpoint is for.", code="organization_required")
    return organization


def add_endpoint(session: Session, organization: Organization, url: str, events: list[str]) -> WebhookEndpoint:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Invalid(f"Unknown event(s): {', '.join(unknown)}; the events are {', '.join(EVENTS)}.",
                      code="unknown_event")
    if not url.startswith(("https://", "http://")):
        raise Invalid("The URL must start with https:// (or http://).", code="bad_url")
    endpoint = WebhookEndpoint(organization_id=organization.id, url=url, secret=secrets.token_hex(32),
                               events=sorted(set(events)), active=True)
    session.add(endpoint)
    session.flush()
    return endpoint


def endpoints(session: Session, organization_id: int | None) -> list[WebhookEndpoint]:
    stmt = sa.select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
    if organization_id is not None:
        stmt = stmt.where(WebhookEndpoint.organization_id == organization_id)
    return list(session.scalars(stmt))


def remove_endpoint(session: Session, endpoint_id: int, organization_id: int | None) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not endpoint.active or (organization_id is not None
                                                   and endpoint.organization_id != organization_id):
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    endpoint.active = False
    session.flush()
    return endpoint


def deliveries(session: Session, organization_id: int | None, limit: int = 200) -> list[Delivery]:
    stmt = sa.select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if organization_id is not None:
        stmt = stmt.where(Delivery.organization_id == organization_id)
    return list(session.scalars(stmt))


def notify(session: Session, organization_id: int, event: str, payload: dict[str, Any]) -> list[Delivery]:
    """Record and queue the event's deliveries to the organization's endpoints and people."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    made = []
    for endpoint in endpoints(session, organization_id):
        if not endpoint.events or event in endpoint.events:
            made.append(Delivery(organization_id=organization_id, event=event, payload=payload, channel="webhook",
                                 target=endpoint.url, endpoint_id=endpoint.id, status="pending", attempts=0))
    if current_app.config.get("SMTP_HOST"):
        for email in session.scalars(sa.select(User.email).where(User.organization_id == organization_id,
                                                                  User.active.is_(True)).order_by(User.id)):
            made.append(Delivery(organization_id=organization_id, event=event, payload=payload, channel="email",
                                 target=email, status="pending", attempts=0))
    session.add_all(made)
    session.flush()
    for delivery in made:
        enqueue(session, deliver, organization_id=organization_id, delivery_id=delivery.id)
    return made


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def body_of(delivery: Delivery) -> bytes:
    return json.dumps({"delivery_id": delivery.id, "event": delivery.event,
                       "organization_id": delivery.organization_id, "created_at": delivery.created_at.isoformat(),
                       "data": delivery.payload}, sort_keys=True, separators=(",", ":")).encode()


@job("default", retries=ATTEMPTS - 1)
def deliver(ctx: JobContext, delivery_id: int) -> dict:
    """One attempt at one delivery; a failure raises, and the job runs again after a pause that doubles."""
    session = ctx.session
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.status == "sent":
        return {"delivery_id": delivery_id, "status": "sent" if delivery else "gone"}
    delivery.attempts += 1
    try:
        result = _send(session, delivery)
    except Exception as exc:  # noqa: BLE001 - every failure is kept on the delivery, then tried again
        delivery.last_result = f"{type(exc).__name__}: {exc}"[:300]
        delivery.status = "failed" if delivery.attempts >= ATTEMPTS else "pending"
        attempts = delivery.attempts
        session.commit()
        if attempts < ATTEMPTS:
            time.sleep(min(60.0, float(current_app.config["NOTIFY_RETRY_SECONDS"]) * 2 ** (attempts - 1)))
        raise
    delivery.status, delivery.last_result, delivery.sent_at = "sent", result[:300], utcnow()
    session.commit()
    return {"delivery_id": delivery_id, "status": "sent", "result": result}


def _send(session: Session, delivery: Delivery) -> str:
    config = current_app.config
    if delivery.channel == "webhook":
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
        if endpoint is None or not endpoint.active:
            return "endpoint removed: not sent"
        body = body_of(delivery)
        stamp = str(int(time.time()))
        request = urllib.request.Request(delivery.target, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "itad-webhooks/1", "X-ITAD-Event": delivery.event,
            "X-ITAD-Delivery": str(delivery.id), "X-ITAD-Timestamp": stamp,
            "X-ITAD-Signature": signature(endpoint.secret, stamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"the endpoint answered HTTP {exc.code}") from None
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = delivery.target
    message["Subject"] = SUBJECTS[delivery.event].format_map(_Defaulting(delivery.payload))
    message.set_content(json.dumps(delivery.payload, indent=2, sort_keys=True))
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(message)
    return "mail accepted"


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "?"
