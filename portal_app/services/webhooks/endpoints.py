"""Settings › Webhooks: a workspace's endpoints (add, enable/disable, rotate the secret,
delete), each one's delivery log, and Replay. Owners and admins (access.require_manage_webhooks).

The signing secret (`whsec_` + 32 random bytes in base64, the Standard Webhooks format) is
returned once, by `create_endpoint` and `rotate_secret`; it is stored sealed (secret_box) and
never shown again.
"""

from __future__ import annotations

import base64
import secrets
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, require_manage_webhooks
from portal_app.errors import Invalid, NotFound
from portal_app.models import WebhookDelivery, WebhookEndpoint, new_public_id, utcnow
from portal_app.models.webhooks import ALL_KINDS
from portal_app.services import audit, events
from portal_app.services.secret_box import seal
from portal_app.services.validation import clean_text
from portal_app.services.webhooks import delivery, guard

MAX_ENDPOINTS = 20
LOG_SIZE = 50
PUBLIC_ID_MAX = 40


class EndpointView(TypedDict):
    id: str
    url: str
    description: str
    kinds: str       # "All events" or the kinds, comma-separated
    enabled: bool
    status: str      # "Enabled", "Disabled" or why it was disabled


class DeliveryView(TypedDict):
    id: str
    kind: str
    event: str
    attempt: str
    status: str
    duration: str
    error: str
    at: str


def event_kinds() -> list[str]:
    """Every event kind an endpoint may want (the event registry), but the personal notices
    (a person's new device, password, second factor: Event.personal)."""
    return sorted(kind for kind, cls in events.by_kind().items() if not cls.personal)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _view(e: WebhookEndpoint) -> EndpointView:
    kinds = "All events" if e.event_kinds == ALL_KINDS else e.event_kinds.replace(",", ", ")
    status = "Enabled" if e.enabled else ("Disabled: " + e.disabled_reason if e.disabled_reason else "Disabled")
    return {"id": e.public_id, "url": e.url, "description": e.description, "kinds": kinds, "enabled": e.enabled,
            "status": status}


def list_endpoints(db: Session, actor: Actor) -> list[EndpointView]:
    staff = require_manage_webhooks(actor)
    rows = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == staff.workspace_id)
                   .order_by(col(WebhookEndpoint.id)).limit(MAX_ENDPOINTS)).all()
    return [_view(e) for e in rows]


def _clean_kinds(kinds: object) -> str:
    if kinds in (None, "", ALL_KINDS, [ALL_KINDS]) or kinds == []:
        return ALL_KINDS
    chosen = kinds.split(",") if isinstance(kinds, str) else list(kinds) if isinstance(kinds, list | tuple) else None
    if chosen is None:
        raise Invalid("Choose the events to send.", "kinds")
    known = set(event_kinds())
    picked = sorted({str(k).strip() for k in chosen if str(k).strip()})
    unknown = [k for k in picked if k not in known]
    if unknown:
        raise Invalid(f"Unknown event kind: {unknown[0][:60]}.", "kinds")
    if ALL_KINDS in picked or not picked or set(picked) == known:
        return ALL_KINDS
    return ",".join(picked)


def create_endpoint(db: Session, actor: Actor, *, url: object, description: object = "",
                    kinds: object = ALL_KINDS) -> tuple[EndpointView, str]:
    """A new enabled endpoint and its signing secret (shown once)."""
    staff = require_manage_webhooks(actor)
    clean_url = clean_text(url, "url", "URL", limits.WEBHOOK_URL, required=True)
    guard.check_url(clean_url)
    text = clean_text(description, "description", "Description", limits.WEBHOOK_DESCRIPTION)
    count = db.exec(select(sa.func.count()).select_from(WebhookEndpoint)
                    .where(WebhookEndpoint.workspace_id == staff.workspace_id)).one()
    if count >= MAX_ENDPOINTS:
        raise Invalid(f"A workspace has at most {MAX_ENDPOINTS} webhook endpoints.", "url")
    secret = new_secret()
    endpoint = WebhookEndpoint(public_id=new_public_id("whe"), workspace_id=staff.workspace_id, url=clean_url,
                               description=text, event_kinds=_clean_kinds(kinds), secret_sealed=seal(secret))
    db.add(endpoint)
    db.flush()
    audit.record(db, staff.workspace_id, staff, "webhook.endpoint_added", "webhook", endpoint.public_id,
                 {"url": clean_url, "kinds": endpoint.event_kinds})
    return _view(endpoint), secret


def _endpoint(db: Session, workspace_id: int, public_id: object) -> WebhookEndpoint:
    pid = str(public_id)[:PUBLIC_ID_MAX + 1]
    row = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id,
                                                WebhookEndpoint.public_id == pid)).first()
    if row is None:
        raise NotFound("This webhook endpoint does not exist.")
    return row


def set_enabled(db: Session, actor: Actor, endpoint_id: object, enabled: bool) -> EndpointView:
    staff = require_manage_webhooks(actor)
    row = _endpoint(db, staff.workspace_id, endpoint_id)
    if enabled and not row.enabled:
        guard.check_url(row.url)  # what it resolves to may have changed
    row.enabled, row.disabled_reason, row.updated_at = bool(enabled), "", utcnow()
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "webhook.endpoint_" + ("enabled" if enabled else "disabled"),
                 "webhook", row.public_id, {})
    return _view(row)


def rotate_secret(db: Session, actor: Actor, endpoint_id: object) -> str:
    """A new signing secret for the endpoint (shown once); the old one stops signing at once."""
    staff = require_manage_webhooks(actor)
    row = _endpoint(db, staff.workspace_id, endpoint_id)
    secret = new_secret()
    row.secret_sealed, row.updated_at = seal(secret), utcnow()
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "webhook.secret_rotated", "webhook", row.public_id, {})
    return secret


def delete_endpoint(db: Session, actor: Actor, endpoint_id: object) -> None:
    staff = require_manage_webhooks(actor)
    row = _endpoint(db, staff.workspace_id, endpoint_id)
    db.execute(sa.delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == row.id))
    db.delete(row)
    audit.record(db, staff.workspace_id, staff, "webhook.endpoint_deleted", "webhook", row.public_id,
                 {"url": row.url})


def deliveries(db: Session, actor: Actor, endpoint_id: object) -> list[DeliveryView]:
    """The endpoint's newest LOG_SIZE delivery attempts."""
    staff = require_manage_webhooks(actor)
    row = _endpoint(db, staff.workspace_id, endpoint_id)
    rows = db.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id)
                   .order_by(sa.desc(col(WebhookDelivery.id))).limit(LOG_SIZE)).all()
    return [{"id": d.public_id, "kind": d.event_kind, "event": d.event_id, "attempt": str(d.attempt),
             "status": str(d.status_code) if d.status_code is not None else "—",
             "duration": f"{d.duration_ms} ms", "error": d.error,
             "at": d.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")} for d in rows]


def replay(db: Session, actor: Actor, delivery_id: object) -> None:
    """Send a logged delivery's event to its endpoint again (same webhook-id: the receiver
    may recognise it); queued, the worker sends it in a moment."""
    staff = require_manage_webhooks(actor)
    pid = str(delivery_id)[:PUBLIC_ID_MAX + 1]
    d = db.exec(select(WebhookDelivery).where(WebhookDelivery.workspace_id == staff.workspace_id,
                                              WebhookDelivery.public_id == pid)).first()
    if d is None:
        raise NotFound("This delivery does not exist.")
    endpoint = db.get_one(WebhookEndpoint, d.endpoint_id)
    if not endpoint.enabled:
        raise Invalid("Enable the endpoint first.")
    delivery.enqueue_delivery(db, endpoint, event_id=d.event_id, kind=d.event_kind, body=d.body,
                              message_id=d.message_id)
    audit.record(db, staff.workspace_id, staff, "webhook.replayed", "webhook", endpoint.public_id,
                 {"event": d.event_id})
