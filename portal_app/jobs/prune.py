"""Pruning: finished jobs and old webhook deliveries do not pile up forever.

A periodic job (`jobs.prune`, hourly) deletes, in bounded batches:
- commands finished more than KEEP_DONE ago (sent emails, whose payloads carry one-time links,
  deliveries, sealing, periodic maintenance). Dead jobs stay until someone retries them from
  Settings › Jobs, and domain events stay: their rows are the events' durable record.
- webhook delivery attempts older than KEEP_DELIVERIES (the delivery log shows 30 days, as
  the payment providers' own logs do).
- pending sign-ins (the second step of a two-factor sign-in) a day past their few minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.models import OutboxMessage, PendingSignIn, WebhookDelivery

KEEP_DONE = timedelta(days=7)
KEEP_DELIVERIES = timedelta(days=30)
KEEP_PENDING_SIGN_INS = timedelta(days=1)
BATCH = 1000
MAX_BATCHES = 50  # one run deletes at most 50,000 rows of each; the next hour goes on


def _delete_batches(db: Session, model, where: sa.ColumnElement[bool]) -> int:
    deleted = 0
    for _ in range(MAX_BATCHES):
        ids = list(db.exec(select(model.id).where(where).order_by(col(model.id)).limit(BATCH)).all())
        if not ids:
            break
        db.exec(sa.delete(model).where(col(model.id).in_(ids)))
        db.commit()
        deleted += len(ids)
        if len(ids) < BATCH:
            break
    return deleted


def prune(db: Session, now: datetime, command_kinds: Iterable[str]) -> dict[str, int]:
    """Delete what is past keeping; how many rows of each. `command_kinds`: the kinds that are
    commands, not events (events are never pruned here)."""
    kinds = sorted(set(command_kinds))
    jobs = _delete_batches(db, OutboxMessage, sa.and_(
        col(OutboxMessage.kind).in_(kinds), col(OutboxMessage.done_at).is_not(None),
        col(OutboxMessage.done_at) < now - KEEP_DONE))
    deliveries = _delete_batches(db, WebhookDelivery, col(WebhookDelivery.created_at) < now - KEEP_DELIVERIES)
    pending = _delete_batches(db, PendingSignIn, col(PendingSignIn.expires_at) < now - KEEP_PENDING_SIGN_INS)
    return {"jobs": jobs, "webhook_deliveries": deliveries, "pending_sign_ins": pending}
