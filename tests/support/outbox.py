"""Small helpers shared by the unit tests (no fixtures here: see tests/conftest.py)."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, select

from portal_app.models import OutboxMessage


def outbox_payloads(db: Session, workspace_id: int | None = None) -> list[dict]:
    """Queued messages' payloads, oldest first."""
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    if workspace_id is not None:
        q = q.where(OutboxMessage.workspace_id == workspace_id)
    return [json.loads(m.payload) for m in db.exec(q).all()]


def last_link(db: Session, path: str) -> str:
    """The most recent link to `path` (e.g. '/invite') found in a queued email's text."""
    for payload in reversed(outbox_payloads(db)):
        match = re.search(r"https?://[^\s\"'<>]*" + re.escape(path) + r"\?token=[A-Za-z0-9_\-]+",
                          payload.get("text", ""))
        if match:
            return match.group(0)
    raise AssertionError(f"no queued email links to {path}")


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]
