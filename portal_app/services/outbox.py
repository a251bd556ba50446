"""Write side effects as outbox rows in the same transaction as the change."""

from __future__ import annotations

import json

from sqlmodel import Session

from portal_app.models import OutboxMessage


def enqueue(db: Session, workspace_id: int, kind: str, payload: dict) -> OutboxMessage:
    msg = OutboxMessage(workspace_id=workspace_id, kind=kind,
                        payload=json.dumps(payload, sort_keys=True))
    db.add(msg)
    return msg
