"""Live push: a tab follows a hint topic, and a hint makes the browser call one of its handlers.

    from portal_app.state import chat_push

    class InboxState(BaseState):
        async def load(self):
            ...
            await chat_push.follow(self, hints.staff_topic(ws_id), "on_hint")

        async def on_hint(self):        # a normal event: SessionGuard, the actor resolved from
            ...                         # the socket, the services decide what it may read

`follow`, `unfollow` and `typing` are **async** (await them inside an event handler; the
registration is done when they return). The topic is always built by the handler from the
actor's resolved context (adapters/hints.contact_topic / staff_topic), never taken from the
browser.

How a hint travels
------------------
1. A service changes something and calls `hints.publish_after_commit(db, topic)`; when the
   transaction commits, `hints.publish(topic)` hands it to this process's subscribers and, with
   Redis, to the relay (adapters/hints.RedisRelay), which sends it on the pub/sub channel
   `portal:hints:<db>`; every other process's relay delivers it to that process's subscribers. The
   separate job worker (`cli worker`) publishes the same way. So every app process sees every
   hint, once.
2. This module's subscriber (`_on_hint`, any thread) schedules a delivery on the app's event loop
   (captured at app start or at the first follow) with `asyncio.run_coroutine_threadsafe`; hints
   of one topic that arrive while a delivery is still waiting to start are coalesced into it.
3. The delivery reads the topic's followers from the registry -- {"<token> <State full name>":
   "<State full name>.<handler>"} -- an in-process dict without Redis, a Redis hash
   `portal:follow:<topic>` with Redis (its expiry refreshed by every follow and delivery), so a
   tab that followed on one worker and reconnected to another is still found.
4. For each follower whose socket is on *this* process (Reflex's token manager: its socket
   record's instance id is ours), it emits `StateUpdate(events=[Event(name="<State>.<handler>")])`
   through `app.event_namespace.emit_update` -- the frame Reflex sends for events a handler
   returns to the browser; the browser queues the event and sends it back like a click would.
   Followers on another process are left to that process (it got the same hint): no tab gets a
   hint twice, and Reflex's lost-and-found routing is not needed. A follower connected nowhere
   (`is_token_connected`, which asks Redis across workers) is skipped, and dropped from the
   registry once it has been gone for `GRACE` seconds (a reconnecting tab keeps its place).
5. The tab's handler re-reads from the database with `after=<last seq shown>`: a hint carries no
   data, a missed or doubled hint costs nothing but a catch-up on the next one.

Typing: `typing(self, topic)` publishes the hint "typing:<ws>:<conv>:<client|staff>" (at most
once per `TYPING_EVERY` seconds per tab and topic); the other side's tabs follow that topic with
their `on_typing` handler.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from portal_app.adapters import hints
from portal_app.settings import get_settings

log = logging.getLogger("portal.chat_push")

TTL = 12 * 3600  # seconds a topic's Redis registry lives after its last follow or delivery
GRACE = 90.0  # seconds a follower may be disconnected (reconnecting) before it is dropped
TYPING_EVERY = 2.0  # seconds between two typing hints of one tab on one topic
KEY_PREFIX = "portal:follow:"
SWEEP_EVERY = 200  # follows between two sweeps of the in-process registry

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
_pending: set[str] = set()  # topics whose delivery is scheduled and not yet started
_missing: dict[tuple[str, str], float] = {}  # (topic, follower) -> when first seen disconnected
_typed: dict[tuple[str, str], float] = {}  # (token, topic) -> when it last sent a typing hint
_follows = 0


# --- the registry ------------------------------------------------------------------------

class LocalRegistry:
    """topic -> {follower: event name}, in this process (no Redis: one process serves every tab)."""

    def __init__(self) -> None:
        self.topics: dict[str, dict[str, str]] = {}

    async def add(self, topic: str, follower: str, event_name: str) -> None:
        self.topics.setdefault(topic, {})[follower] = event_name

    async def remove(self, topic: str, follower: str) -> None:
        followers = self.topics.get(topic)
        if followers is not None:
            followers.pop(follower, None)
            if not followers:
                self.topics.pop(topic, None)

    async def followers(self, topic: str) -> dict[str, str]:
        return dict(self.topics.get(topic, {}))

    def may_have(self, topic: str) -> bool:
        return topic in self.topics

    async def touch(self, topic: str) -> None:
        pass


class RedisRegistry:
    """A Redis hash per topic, shared by every worker (`portal:follow:<topic>`)."""

    def __init__(self, redis_url: str) -> None:
        from redis.asyncio import Redis

        self.redis: Any = Redis.from_url(redis_url)

    @staticmethod
    def key(topic: str) -> str:
        return KEY_PREFIX + topic

    async def add(self, topic: str, follower: str, event_name: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(topic), follower, event_name)
            pipe.expire(self.key(topic), TTL)
            await pipe.execute()

    async def remove(self, topic: str, follower: str) -> None:
        await self.redis.hdel(self.key(topic), follower)

    async def followers(self, topic: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.key(topic))
        return {_text(k): _text(v) for k, v in raw.items()}

    def may_have(self, topic: str) -> bool:
        return True  # another worker may have registered it

    async def touch(self, topic: str) -> None:
        await self.redis.expire(self.key(topic), TTL)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_registry: LocalRegistry | RedisRegistry | None = None


def registry() -> LocalRegistry | RedisRegistry:
    """The registry of this process: in Redis when REFLEX_REDIS_URL is set (several workers)."""
    global _registry
    if _registry is None:
        url = get_settings().redis_url
        _registry = RedisRegistry(url) if url else LocalRegistry()
    return _registry


# --- the app's socket side -----------------------------------------------------------------

def _event_namespace() -> Any:
    """The app's socket namespace (None when no app is serving, e.g. in a unit test)."""
    try:
        from reflex.utils.prerequisites import get_app

        return get_app().app.event_namespace
    except Exception:
        return None


def start(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Listen for hints, delivering on `loop` (the running loop when None): the app calls it at
    start; `follow` calls it too."""
    global _loop
    _loop = loop or asyncio.get_running_loop()
    registry()
    hints.subscribe(_on_hint)


def stop() -> None:
    """Stop delivering (the app's shutdown; tests)."""
    global _loop, _registry
    hints.unsubscribe(_on_hint)
    _loop = None
    _registry = None
    with _lock:
        _pending.clear()
    _missing.clear()
    _typed.clear()


def _on_hint(topic: str) -> None:
    """A hint (any thread): schedule one delivery of `topic` on the app's loop."""
    loop = _loop
    if loop is None or loop.is_closed():
        return
    reg = _registry
    if reg is None or not reg.may_have(topic):
        return  # nobody in this process follows anything of the kind
    with _lock:
        if topic in _pending:
            return  # a delivery that has not read the followers yet covers this hint too
        _pending.add(topic)
    try:
        future = asyncio.run_coroutine_threadsafe(_deliver(topic), loop)
    except RuntimeError:  # the loop is closing
        with _lock:
            _pending.discard(topic)
        return
    future.add_done_callback(_log_failure)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a live hint could not be delivered", exc_info=future.exception())


def event_for(event_name: str):
    """The event the browser is told to send: what Reflex builds for an event handler returns
    (reflex_base.event.Event.from_event_type: name, empty payload, router data left to the
    browser)."""
    from reflex_base.event import Event

    return Event(name=event_name, payload={}, router_data={})


async def _deliver(topic: str) -> int:
    """Emit the topic's event to every follower connected to this process; skip the others,
    drop those gone for longer than GRACE. Returns how many tabs were told."""
    from reflex.state import StateUpdate

    with _lock:
        _pending.discard(topic)
    reg = registry()
    followers = await reg.followers(topic)
    namespace = _event_namespace()
    if not followers or namespace is None:
        return 0
    manager = namespace._token_manager
    told, now = 0, time.monotonic()
    for follower, event_name in followers.items():
        token = follower.split(" ", 1)[0]
        record = manager.token_to_socket.get(token)
        if record is not None and record.instance_id == manager.instance_id:
            _missing.pop((topic, follower), None)
            try:
                await namespace.emit_update(StateUpdate(events=[event_for(event_name)]), token)
                told += 1
            except Exception:
                log.warning("a live hint could not be sent to a tab", exc_info=True)
            continue
        if await manager.is_token_connected(token):
            _missing.pop((topic, follower), None)  # another worker's tab: that worker tells it
            continue
        since = _missing.setdefault((topic, follower), now)
        if now - since >= GRACE:
            _missing.pop((topic, follower), None)
            await reg.remove(topic, follower)
    if told:
        await reg.touch(topic)
    return told


# --- what the state layer calls ---------------------------------------------------------------

def _token(state) -> str:
    return getattr(getattr(state.router, "session", None), "client_token", "") or ""


def _state_class(state) -> Any:
    return state.__class__  # a StateProxy (background handler) reports the wrapped class


def event_name(state, handler_name: str) -> str:
    """"<State full name>.<handler>", as Reflex names it (ValueError: no such handler)."""
    from reflex_base.event import Event

    cls = _state_class(state)
    handler = cls.event_handlers.get(handler_name)
    if handler is None:
        raise ValueError(f"{cls.__name__} has no event handler {handler_name!r}")
    return Event.from_event_type(handler)[0].name


def _follower(state) -> str:
    return f"{_token(state)} {_state_class(state).get_full_name()}"


async def follow(state, topic: str, handler_name: str) -> None:
    """This tab wants `<its State>.handler_name` called whenever `topic` is hinted (until the
    tab is gone or `unfollow`). Following again (a reload, a second call) is harmless; one
    handler per State and topic (the last follow's). ValueError if the State has no such
    handler (a typo fails at the first load, not silently)."""
    name = event_name(state, handler_name)
    if not _token(state):
        return  # not a served tab (a state driven without a socket)
    loop = asyncio.get_running_loop()
    if _loop is not loop:
        start(loop)
    follower = _follower(state)
    _missing.pop((topic, follower), None)
    reg = registry()
    await reg.add(topic, follower, name)
    global _follows
    _follows += 1
    if _follows % SWEEP_EVERY == 0 and isinstance(reg, LocalRegistry):
        await _sweep(reg)


async def _sweep(reg: LocalRegistry) -> None:
    """Drop followers gone longer than GRACE from topics nobody hints (a delivery drops them
    from the others; in Redis a topic's hash expires TTL after its last follow or delivery)."""
    namespace = _event_namespace()
    if namespace is None:
        return
    manager, now = namespace._token_manager, time.monotonic()
    for topic, followers in list(reg.topics.items()):
        for follower in list(followers):
            if await manager.is_token_connected(follower.split(" ", 1)[0]):
                _missing.pop((topic, follower), None)
            elif now - _missing.setdefault((topic, follower), now) >= GRACE:
                _missing.pop((topic, follower), None)
                await reg.remove(topic, follower)


async def unfollow(state, topic: str) -> None:
    """This tab's State no longer wants `topic`'s hints."""
    if _token(state):
        await registry().remove(topic, _follower(state))


async def typing(state, topic: str) -> None:
    """This tab's user is typing: a hint on `topic` ("typing:<ws>:<conv public id>:<side>",
    built by the handler from the actor's context), at most once per TYPING_EVERY seconds."""
    key, now = (_token(state), topic), time.monotonic()
    last = _typed.get(key)
    if last is not None and now - last < TYPING_EVERY:
        return
    if len(_typed) > 10_000:
        _typed.clear()
    _typed[key] = now
    hints.publish(topic)
