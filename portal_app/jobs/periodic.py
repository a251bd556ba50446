"""Periodic jobs: a small cron-like registry, enqueued once cluster-wide per time slot.

Each entry runs every `every_seconds`; time is cut into slots of that length (slot n starts
at n * every_seconds after the epoch). Any worker may enqueue a slot's job; its unique key
(`periodic:<kind>:<slot>`) is looked up among every job ever queued, finished or not, under a
lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the writer lock), so a slot's
job is queued once however many workers, on however many hosts, ask. A worker asks once per
slot (it remembers the slots it has seen), so the cost is one short transaction a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from portal_app.jobs import queue
from portal_app.models.outbox import OutboxMessage

ADVISORY_LOCK = 0x6A6F6273  # "jobs": serialises slot look-ups across PostgreSQL sessions


@dataclass(frozen=True)
class Periodic:
    kind: str
    every_seconds: int
    payload: dict = field(default_factory=dict)


PERIODIC: dict[str, Periodic] = {}


def every(seconds: int, kind: str, payload: dict | None = None) -> None:
    """Register (or replace) a periodic job of this kind (its handler is the worker's)."""
    if seconds < 1:
        raise ValueError("a periodic job runs at most once a second")
    PERIODIC[kind] = Periodic(kind, seconds, payload or {})


def slot_of(entry: Periodic, now: datetime) -> int:
    return int(now.timestamp() // entry.every_seconds)


def slot_key(entry: Periodic, slot: int) -> str:
    return f"periodic:{entry.kind}:{slot}"


def enqueue_due(engine: sa.Engine, now: datetime, seen: dict[str, int] | None = None) -> int:
    """Queue the current slot's job of every periodic entry not queued yet; how many were
    queued here. `seen` (kind -> slot, kept by the caller) skips slots already looked at."""
    seen = {} if seen is None else seen
    todo = [(p, slot_of(p, now)) for p in PERIODIC.values()]
    todo = [(p, slot) for p, slot in todo if seen.get(p.kind) != slot]
    if not todo:
        return 0
    made = 0
    with Session(engine) as db:
        conn = db.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        else:
            queue._begin_immediate(conn)
        for entry, slot in todo:
            key = slot_key(entry, slot)
            if db.exec(select(OutboxMessage.id).where(OutboxMessage.unique_key == key)).first() is None:
                start = datetime.fromtimestamp(slot * entry.every_seconds, UTC)
                queue.enqueue(db, None, entry.kind, entry.payload, unique_key=key, run_at=start, now=now)
                made += 1
        db.commit()
    seen.update({p.kind: slot for p, slot in todo})
    return made
