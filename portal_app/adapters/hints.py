"""Live hints: "something on topic T changed", published once the transaction that changed it
commits, to every process of the deployment. A hint carries no data: whoever receives it reads
what changed from the database through the normal, authorized path (the database is the truth;
the push is a hint).

Topics (strings): `chat:<workspace id>:contact:<contact id>` (a client's conversation, for that
client's open tabs), `chat:<workspace id>:staff` (a workspace's inbox, for its staff's tabs),
`typing:<workspace id>:<conversation public id>:<client|staff>`.

    hints.publish_after_commit(db, topic)   # in a service, inside its transaction
    hints.subscribe(fn)                     # fn(topic) on every hint, in any thread

This module is the in-process transport (one process: the embedded default); with Redis
configured, `start_redis_relay()` (called by the app at start) also publishes every local
hint to a Redis channel and delivers other processes' hints here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session

log = logging.getLogger("portal.hints")
_PENDING = "portal_hints_pending"
_subscribers: list[Callable[[str], None]] = []
_publishers: list[Callable[[str], None]] = []  # other transports (Redis): fn(topic)
_lock = threading.Lock()


def contact_topic(workspace_id: int, contact_id: int) -> str:
    return f"chat:{workspace_id}:contact:{contact_id}"


def staff_topic(workspace_id: int) -> str:
    return f"chat:{workspace_id}:staff"


def subscribe(fn: Callable[[str], None]) -> None:
    with _lock:
        if fn not in _subscribers:
            _subscribers.append(fn)


def unsubscribe(fn: Callable[[str], None]) -> None:
    with _lock:
        if fn in _subscribers:
            _subscribers.remove(fn)


def add_publisher(fn: Callable[[str], None]) -> None:
    with _lock:
        if fn not in _publishers:
            _publishers.append(fn)


def remove_publisher(fn: Callable[[str], None]) -> None:
    with _lock:
        if fn in _publishers:
            _publishers.remove(fn)


def deliver_local(topic: str) -> None:
    """Hand a hint to this process's subscribers (a failing subscriber is logged, never raised)."""
    with _lock:
        subscribers = list(_subscribers)
    for fn in subscribers:
        try:
            fn(topic)
        except Exception:
            log.exception("a hint subscriber failed on %s", topic)


def publish(topic: str) -> None:
    """Now: to this process and to the other transports."""
    deliver_local(topic)
    with _lock:
        publishers = list(_publishers)
    for fn in publishers:
        try:
            fn(topic)
        except Exception:
            log.warning("a hint transport failed on %s", topic, exc_info=True)


def publish_after_commit(db: Session, topic: str) -> None:
    """Once `db`'s transaction commits (nothing if it rolls back)."""
    db.info.setdefault(_PENDING, set()).add(topic)


@sa.event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    for topic in sorted(session.info.pop(_PENDING, ())):
        publish(topic)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
