"""Deliver domain events to webhook endpoints (the Standard Webhooks spec).

`fan_out` (a subscriber of every event kind on the message bus) queues one "webhook.deliver"
job per enabled endpoint that wants the event, unique per endpoint and event. `deliver` (the
worker's command) POSTs the body `{"type", "timestamp", "data"}` with the headers
`webhook-id` (one per event and endpoint: the same on retries and replays, so receivers can
drop duplicates), `webhook-timestamp` (when this attempt is sent) and `webhook-signature`
(`v1,` HMAC-SHA256, signed by the `standardwebhooks` reference code), logs the attempt in its
own transaction (a failed attempt's row stays), and raises on a failure so the queue retries
it: exponential backoff capped at 6 hours, 26 attempts, about 3 days (test_webhooks). A 2xx is
success; 410 Gone disables the endpoint; anything else, a timeout or a refused address fails.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from portal_app import limits
from portal_app.jobs import queue
from portal_app.models import OutboxMessage, WebhookDelivery, WebhookEndpoint, new_public_id, utcnow
from portal_app.services import events, outbox
from portal_app.services.secret_box import SecretUnavailable, unseal
from portal_app.services.webhooks import guard

KIND = "webhook.deliver"
MAX_ATTEMPTS = 26
BACKOFF_CAP = 6 * 3600.0  # seconds
TIMEOUT = 10.0            # seconds to connect, and to wait for the answer
queue.configure_kind(KIND, max_attempts=MAX_ATTEMPTS, backoff_cap=BACKOFF_CAP)

wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 (the webhook-timestamp)


class DeliveryFailed(Exception):
    """An attempt the receiver did not accept: the job is retried."""


def message_id(endpoint: WebhookEndpoint, event_id: str) -> str:
    """The webhook-id: stable for one event to one endpoint."""
    return "msg_" + hashlib.sha256(f"{endpoint.public_id}:{event_id}".encode()).hexdigest()[:32]


def enqueue_delivery(db: Session, endpoint: WebhookEndpoint, *, event_id: str, kind: str, body: str,
                     message_id: str) -> OutboxMessage:
    return outbox.enqueue(db, endpoint.workspace_id, KIND,
                          {"endpoint": endpoint.id, "event_id": event_id, "kind": kind, "body": body,
                           "message_id": message_id},
                          unique_key=f"webhook:{endpoint.id}:{event_id}", max_attempts=MAX_ATTEMPTS)


def fan_out(db: Session, event: events.Event) -> None:
    """Bus subscriber of every kind: a delivery job per enabled endpoint wanting this kind."""
    record = events.RECORD.get()
    event_id, at = record if record is not None else ("evt_" + new_public_id("x")[2:], utcnow())
    endpoints = db.exec(select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == event.workspace_id,
                                                      col(WebhookEndpoint.enabled).is_(True))).all()
    wanting = [e for e in endpoints if e.wants(event.kind)]
    if not wanting:
        return
    body = json.dumps({"type": event.kind, "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                       "data": event.payload()}, separators=(",", ":"), sort_keys=True)
    for endpoint in wanting:
        enqueue_delivery(db, endpoint, event_id=event_id, kind=event.kind, body=body,
                         message_id=message_id(endpoint, event_id))


def signed_headers(secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, body),
            "content-type": "application/json", "user-agent": "ClientPortal-Webhooks/1"}


class _Pinned(http.client.HTTPConnection):
    """HTTP to one checked address, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, address: str):
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        guard.check_address(self.sock.getpeername()[0])  # the address actually connected to


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to one checked address; the certificate is verified for the URL's host (SNI)."""

    def __init__(self, host: str, port: int, address: str):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=TIMEOUT, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        guard.check_address(sock.getpeername()[0])
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def send(url: str, body: str, headers: dict[str, str]) -> int:
    """POST once to a checked address; the HTTP status (redirects are not followed)."""
    scheme, host, port = guard.split_url(url)
    address = guard.check_url(url)[0]  # resolved once, every answer checked
    conn_cls = _PinnedTLS if scheme == "https" else _Pinned
    conn = conn_cls(host, port, address)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        conn.close()


def _log(db: Session, endpoint: WebhookEndpoint, payload: dict[str, Any], attempt: int, status: int | None,
         duration_ms: int, error: str, disable: str = "") -> None:
    """The attempt's row (and a 410's disabling) in a transaction of its own: it stays when the
    job's transaction rolls back for a retry."""
    with Session(db.get_bind()) as own:
        own.add(WebhookDelivery(public_id=new_public_id("whd"), workspace_id=endpoint.workspace_id,
                                endpoint_id=endpoint.id, message_id=payload["message_id"],
                                event_id=payload["event_id"], event_kind=payload["kind"], body=payload["body"],
                                attempt=attempt, status_code=status, duration_ms=duration_ms,
                                error=error[:limits.WEBHOOK_ERROR]))
        if disable:
            row = own.get_one(WebhookEndpoint, endpoint.id)
            row.enabled, row.disabled_reason, row.updated_at = False, disable, utcnow()
            own.add(row)
        own.commit()


def deliver(db: Session, msg: OutboxMessage, payload: dict[str, Any]) -> None:
    """The "webhook.deliver" job: one attempt."""
    endpoint = db.get(WebhookEndpoint, payload["endpoint"])
    if endpoint is None or not endpoint.enabled:
        return  # deleted or disabled since: nothing to send
    try:
        secret = unseal(endpoint.secret_sealed)
    except SecretUnavailable as exc:
        raise DeliveryFailed(exc.message) from exc
    headers = signed_headers(secret, payload["message_id"], payload["body"], wall_clock())
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        status = send(endpoint.url, payload["body"], headers)
    except guard.Refused as exc:
        error = exc.message
    except TimeoutError:
        error = f"No answer within {TIMEOUT:.0f} seconds."
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    if status is not None and not 200 <= status < 300:
        error = f"The receiver answered HTTP {status}."
    gone = "The receiver answered 410 Gone: it no longer wants these events." if status == 410 else ""
    _log(db, endpoint, payload, msg.attempts, status, duration_ms, error, disable=gone)
    if error and not gone:
        raise DeliveryFailed(error)
