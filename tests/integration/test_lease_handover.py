"""A tab's lease changing workers (Reflex's opportunistic lock, REFLEX_OPLOCK_ENABLED) against the
local Redis: two managers stand for two workers (portal_app/state_manager.py says what is fixed).

The interleavings are forced, not timed: a raw Redis client holds the lock while the events line
up, and the waiting worker's next lock attempt is held at a gate while the other worker acts.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken

from portal_app.state.base import BaseState
from portal_app.state_manager import PortalStateManagerRedis, install
from tests.support.services import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"
HOLD_MS, LOCK_MS = 20_000, 30_000  # the 20 s lease that was reverted; a stuck event waits it all
BOUND = 5.0  # seconds: generous for a hand-over that takes milliseconds, far below HOLD_MS


@pytest.fixture
async def redis_client():
    require_service("Redis", "127.0.0.1", 6379)
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    client.idents = []
    yield client
    for ident in client.idents:
        keys = [k async for k in client.scan_iter(match=f"{ident}*")]
        if keys:
            await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def workers(redis_client, monkeypatch):
    """make(cls) → a subscribed manager of class `cls` with the opportunistic lock on."""
    from redis.asyncio import Redis

    monkeypatch.setenv("REFLEX_OPLOCK_ENABLED", "true")
    made: list[StateManagerRedis] = []

    async def make(cls=PortalStateManagerRedis) -> StateManagerRedis:
        manager = cls(redis=Redis.from_url(REDIS_URL), token_expiration=120,
                      lock_expiration=LOCK_MS, lock_warning_threshold=LOCK_MS // 2,
                      oplock_hold_time_ms=HOLD_MS)
        assert manager._oplock_enabled
        made.append(manager)
        await manager._ensure_lock_task_subscribed(timeout=BOUND)
        return manager

    yield make
    for manager in made:
        await asyncio.wait_for(manager.close(), BOUND)


def _token(redis_client) -> BaseStateToken:
    ident = f"portal-lease-{uuid.uuid4().hex}"
    redis_client.idents.append(ident)
    return BaseStateToken(ident=ident, cls=BaseState)


async def _until(condition, what: str) -> None:
    """Wait (bounded) for a condition of the managers' bookkeeping."""
    for _ in range(int(BOUND / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {BOUND} s: {what}")


async def _event(manager, token, inside: asyncio.Event | None = None, hold: asyncio.Event | None = None):
    """One event: the tab's state in hand (`inside` set), kept until `hold` is set."""
    async with manager.modify_state(token) as root:
        base = await root.get_state(BaseState)
        base.business_name = "handed over"
        if inside is not None:
            inside.set()
        if hold is not None:
            await asyncio.wait_for(hold.wait(), BOUND)


class _Gate:
    """Holds a manager's next lock attempts until opened (the other worker is faster)."""

    def __init__(self, manager):
        self.closed, self.reached, self.opened = False, asyncio.Event(), asyncio.Event()
        self._try = manager._try_get_lock
        manager._try_get_lock = self

    async def __call__(self, lock_key, lock_id):
        if self.closed:
            self.reached.set()
            await asyncio.wait_for(self.opened.wait(), BOUND)
        return await self._try(lock_key, lock_id)


@pytest.mark.parametrize("cls", [
    PortalStateManagerRedis,
    pytest.param(StateManagerRedis, marks=pytest.mark.xfail(
        strict=True, reason="Reflex 0.10.1: a worker's second waiting event is forgotten")),
])
async def test_a_second_waiting_event_keeps_the_other_worker_from_taking_a_lease(
        workers, redis_client, cls):
    a, b = await workers(cls), await workers(cls)
    token = _token(redis_client)
    lock_key = b._lock_key(token)
    waiters_key = lock_key + b"_waiters"
    # Someone holds the tab's lock; a third worker waits for it too (so B's first event will
    # update without a lease, as when the old worker's live follower is waiting).
    assert await redis_client.set(lock_key, b"someone", px=LOCK_MS, nx=True)
    await redis_client.sadd(waiters_key, b"third-worker")
    # B (the reloaded page's worker): two events wait (the hydrate and the on_load).
    inside1, hold1 = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_event(b, token, inside1, hold1))
    await _until(lambda: b._n_lock_waiters(lock_key) == 1, "B's first event waits")
    second = asyncio.create_task(_event(b, token))
    await _until(lambda: b._n_lock_waiters(lock_key) == 2, "B's second event waits")
    gate = _Gate(b)
    try:
        await redis_client.delete(lock_key)  # the lock is free: B's first event takes it
        await asyncio.wait_for(inside1.wait(), BOUND)
        await redis_client.srem(waiters_key, b"third-worker")  # the third worker gave up
        # B's second event still waits: the other worker must see it as a contender.
        assert await a._n_lock_contenders(lock_key) == 1
        gate.closed = True
        hold1.set()
        await asyncio.wait_for(first, BOUND)
        await asyncio.wait_for(gate.reached.wait(), BOUND)  # B's second event is about to retry
        # A (the old tab's worker) gets the free lock first, for one event of its own.
        await asyncio.wait_for(_event(a, token), BOUND)
        assert await a._get_local_lease(token.lock_key) is None, "A took a lease while B waits"
        gate.opened.set()
        await asyncio.wait_for(second, BOUND)  # at once, not after A's 20 s lease
    finally:
        gate.opened.set()
        hold1.set()
        for task in (first, second):
            if not task.done():
                task.cancel()
        await asyncio.gather(first, second, return_exceptions=True)


async def test_a_workers_own_waiting_events_share_its_lease(workers, redis_client):
    """Only other workers' events count as contenders: B's two events end in one lease of B."""
    b = await workers()
    token = _token(redis_client)
    lock_key = b._lock_key(token)
    assert await redis_client.set(lock_key, b"someone", px=LOCK_MS, nx=True)
    events = [asyncio.create_task(_event(b, token)) for _ in range(2)]
    await _until(lambda: b._n_lock_waiters(lock_key) == 2, "both of B's events wait")
    assert await b._n_lock_contenders(lock_key) == 0
    await redis_client.delete(lock_key)
    await asyncio.wait_for(asyncio.gather(*events), BOUND)
    assert await b._get_local_lease(token.lock_key) is not None  # B kept the tab in memory
    assert await redis_client.scard(lock_key + b"_waiters") == 0  # every member removed


async def test_install_replaces_only_reflexs_redis_manager(redis_client):
    from redis.asyncio import Redis
    from reflex.istate.manager.memory import StateManagerMemory

    class App:  # what rx.App keeps: the manager StateManager.create() made
        _state_manager: object

    app = App()
    app._state_manager = reflex_made = StateManagerRedis(
        redis=Redis.from_url(REDIS_URL), token_expiration=120, lock_expiration=LOCK_MS,
        lock_warning_threshold=LOCK_MS // 2, oplock_hold_time_ms=HOLD_MS)
    install(app)
    ours = app._state_manager
    assert type(ours) is PortalStateManagerRedis
    assert (ours.redis, ours.token_expiration, ours.lock_expiration, ours.lock_warning_threshold,
            ours.oplock_hold_time_ms) == (reflex_made.redis, 120, LOCK_MS, LOCK_MS // 2, HOLD_MS)
    install(app)
    assert app._state_manager is ours  # installed once
    app._state_manager = memory = StateManagerMemory()
    install(app)
    assert app._state_manager is memory  # the memory manager (no Redis) is left alone
    await reflex_made.redis.aclose()


def test_the_app_serves_with_the_fixed_manager_when_redis_is_configured(redis_client):
    """The real app module, imported as a granian worker imports it (a fresh process)."""
    import os
    import subprocess
    import sys

    code = ("import portal_app.portal_app as m; sm = m.app._state_manager; "
            "print(type(sm).__name__, sm.lock_expiration, sm.oplock_hold_time_ms)")
    env = {**os.environ, "REFLEX_REDIS_URL": REDIS_URL, "REFLEX_REDIS_LOCK_EXPIRATION": "30000",
           "REFLEX_OPLOCK_HOLD_TIME": "20s"}
    env.pop("REFLEX_STATE_MANAGER_MODE", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out[-3:] == ["PortalStateManagerRedis", "30000", "20000"]


@pytest.mark.parametrize("cls", [
    PortalStateManagerRedis,
    pytest.param(StateManagerRedis, marks=pytest.mark.xfail(
        strict=True, reason="Reflex 0.10.1: a cancelled waiter keeps the lock until it expires")),
])
async def test_an_event_cancelled_as_it_takes_the_lock_gives_it_back(workers, redis_client, cls):
    """Reflex cancels a superseded on_load chain; if that happens as its SET NX comes back, the
    next event of the tab must not wait for the lock to expire (LOCK_MS, 30 s)."""
    b = await workers(cls)
    token = _token(redis_client)
    lock_key = b._lock_key(token)
    assert await redis_client.set(lock_key, b"someone", px=LOCK_MS, nx=True)
    first = asyncio.create_task(_event(b, token))
    await _until(lambda: b._n_lock_waiters(lock_key) == 1, "the first event waits")
    second = asyncio.create_task(_event(b, token))
    await _until(lambda: b._n_lock_waiters(lock_key) == 2, "the second event waits")
    took = b._try_get_lock

    async def take_then_cancelled(key, lock_id):
        got = await took(key, lock_id)
        if got and asyncio.current_task() is first:
            first.cancel()  # delivered at the next await: the event had the lock, now it is gone
            await asyncio.sleep(0)
        return got

    b._try_get_lock = take_then_cancelled
    try:
        await redis_client.delete(lock_key)  # the first event takes the lock, and is cancelled
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(first, BOUND)
        await asyncio.wait_for(second, BOUND)  # at once, not when the lock expires
    finally:
        for task in (first, second):
            if not task.done():
                task.cancel()
        await asyncio.gather(first, second, return_exceptions=True)
        await redis_client.delete(lock_key)
