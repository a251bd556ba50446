"""Write side effects as outbox rows (jobs) in the same transaction as the change.

`enqueue(db, workspace_id, kind, payload)` queues a job that runs as soon as a worker is free;
the keyword options schedule it (`run_at`), make it unique (`unique_key`: while a job with
that key is unfinished, enqueue returns it and writes nothing), and override its kind's
attempts and priority (portal_app/jobs/queue.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from portal_app.jobs import queue
from portal_app.models import OutboxMessage


def enqueue(db: Session, workspace_id: int | None, kind: str, payload: dict, *, run_at: datetime | None = None,
            unique_key: str | None = None, max_attempts: int | None = None,
            priority: int | None = None) -> OutboxMessage:
    return queue.enqueue(db, workspace_id, kind, payload, run_at=run_at, unique_key=unique_key,
                         max_attempts=max_attempts, priority=priority)
