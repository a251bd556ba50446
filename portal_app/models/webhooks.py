"""Outbound webhooks: a workspace's endpoints and the log of every delivery attempt.

An endpoint's signing secret (`whsec_…`, Standard Webhooks) is sealed at rest
(services/secret_box.py) and shown once. `event_kinds` is "*" (every kind) or the kinds it
wants, comma-separated. A delivery attempt row keeps what was sent (`body`, small: an event's
payload) so a delivery can be replayed with the same `message_id` (the `webhook-id` header).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import ts_column, utcnow

ALL_KINDS = "*"


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    url: str = Field(max_length=limits.WEBHOOK_URL)
    description: str = Field(default="", max_length=limits.WEBHOOK_DESCRIPTION)
    event_kinds: str = Field(default=ALL_KINDS, max_length=limits.WEBHOOK_KINDS)
    secret_sealed: str = Field(max_length=1000)
    enabled: bool = Field(default=True)
    disabled_reason: str = Field(default="", max_length=limits.WEBHOOK_ERROR)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    def wants(self, kind: str) -> bool:
        return self.event_kinds == ALL_KINDS or kind in self.event_kinds.split(",")


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver one event to one endpoint."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=40, unique=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    message_id: str = Field(max_length=60)   # the webhook-id header: one per event and endpoint
    event_id: str = Field(max_length=40)
    event_kind: str = Field(max_length=60)
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    attempt: int = Field(default=1)
    status_code: int | None = Field(default=None)
    duration_ms: int = Field(default=0)
    error: str = Field(default="", max_length=limits.WEBHOOK_ERROR)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
