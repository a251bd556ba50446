"""Live hints: "something on topic T changed", published once the transaction that changed it
commits, to every process of the deployment. A hint carries no data: whoever receives it reads
what changed from the database through the normal, authorized path (the database is the truth;
the push is a hint).

Topics (strings): `chat:<workspace id>:contact:<contact id>` (a client's conversation, for that
client's open tabs), `chat:<workspace id>:staff` (a workspace's inbox, for its staff's tabs),
`typing:<workspace id>:<conversation public id>:<client|staff>`, `calendar:<workspace id>` (a
workspace's appointments, for the staff calendar).

    hints.publish_after_commit(db, topic)   # in a service, inside its transaction
    hints.subscribe(fn)                     # fn(topic) on every hint, in any thread

This module is the in-process transport (one process: the embedded default); with Redis
configured, `start_redis_relay(redis_url)` (called at start by the app, portal_app.py, and by
`python -m portal_app.cli worker`) also publishes every local hint to the Redis pub/sub
channel `channel_for(redis_url)` and delivers other processes' hints here: a publisher thread sends (a hint
never waits for Redis, and keeps its order), a listener thread receives and skips its own
process's messages (each carries the sender's process id). Redis pub/sub is at most once: a
hint published while a listener is reconnecting is lost -- the next hint of that topic, or the
page's next load, catches up (a hint carries no data, the database is the truth).
How a hint reaches a browser: state/chat_push.py.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import uuid
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


def calendar_topic(workspace_id: int) -> str:
    """A workspace's appointments changed (the staff calendar's open tabs follow it)."""
    return f"calendar:{workspace_id}"


def typing_topic(workspace_id: int, conversation_public_id: str, side: str) -> str:
    """"<side> is typing in this conversation" (side: client | staff): the other side follows it."""
    return f"typing:{workspace_id}:{conversation_public_id}:{side}"


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
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: SQLAlchemy reports it as a commit too; the transaction goes on
    for topic in sorted(session.info.pop(_PENDING, ())):
        publish(topic)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # back to a SAVEPOINT: what the transaction did before it still stands
    session.info.pop(_PENDING, None)


# --- the Redis relay: hints between the processes of a deployment -------------------------

CHANNEL = "portal:hints"
_STOP = object()


def channel_for(redis_url: str) -> str:
    """`portal:hints:<db>`: Redis's pub/sub channels are one namespace for the whole server, not
    one per database number, so two deployments (or a test run beside another) that share a Redis
    server on different database numbers would otherwise hear each other's hints."""
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    db = parts.path.strip("/") or "0"
    return f"{CHANNEL}:{db}"


class RedisRelay:
    """Sends this process's hints to `channel`, delivers the other processes' hints to
    `deliver` (this process's subscribers: deliver_local). `process_id` tells one's own
    messages apart; two relays in one test stand for two processes."""

    def __init__(self, redis_url: str, *, channel: str | None = None, deliver: Callable[[str], None] = deliver_local,
                 process_id: str | None = None, listen: bool = True):
        import redis

        self.channel, self.deliver, self.listen = channel or channel_for(redis_url), deliver, listen
        self.process_id = process_id or f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5,
                                           health_check_interval=30)
        self._outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.subscribed = threading.Event()  # set once the listener listens (tests wait for it)
        self._threads = [threading.Thread(target=self._send_loop, name="hints-relay-send", daemon=True)]
        if listen:
            self._threads.append(threading.Thread(target=self._listen_loop, name="hints-relay-listen", daemon=True))
        for thread in self._threads:
            thread.start()

    def publish(self, topic: str) -> None:
        """Queue `topic` for the other processes (never blocks)."""
        if not self._stop.is_set():
            self._outbox.put(topic)

    def _send_loop(self) -> None:
        while True:
            topic = self._outbox.get()
            if topic is _STOP:
                return
            message = json.dumps({"from": self.process_id, "topic": topic})
            for attempt in (1, 2):
                try:
                    self._redis.publish(self.channel, message)
                    break
                except Exception:
                    if attempt == 2 or self._stop.is_set():
                        log.warning("a hint could not be sent to Redis: %s", topic, exc_info=True)
                    else:
                        self._stop.wait(0.5)

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.subscribed.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._received(message["data"])
            except Exception:
                if not self._stop.is_set():
                    log.warning("the Redis hint listener lost its connection; reconnecting", exc_info=True)
                    self._stop.wait(1.0)
            finally:
                self.subscribed.clear()
                try:
                    pubsub.close()
                except Exception:
                    pass

    def _received(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            sender, topic = message["from"], message["topic"]
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable message on the hint channel was skipped")
            return
        if sender != self.process_id and isinstance(topic, str):
            self.deliver(topic)

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._outbox.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
        try:
            self._redis.close()
        except Exception:
            pass


_relay: RedisRelay | None = None


def start_redis_relay(redis_url: str, *, listen: bool = True) -> RedisRelay:
    """This process's relay (started once): every hint published here also goes to Redis,
    other processes' hints are delivered here. `listen=False` for a process that only
    publishes (the job worker: it has no tabs)."""
    global _relay
    with _lock:
        if _relay is not None:
            return _relay
        _relay = RedisRelay(redis_url, listen=listen)
    add_publisher(_relay.publish)
    log.info("live hints relayed through Redis (channel %s, process %s)", _relay.channel, _relay.process_id)
    return _relay


def stop_redis_relay() -> None:
    global _relay
    with _lock:
        relay, _relay = _relay, None
    if relay is not None:
        remove_publisher(relay.publish)
        relay.stop()
