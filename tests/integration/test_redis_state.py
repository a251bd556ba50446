"""Reflex's Redis state manager against the local Redis: two manager instances stand for two
app workers sharing one session's state, with Reflex's per-session lock between them.

StateManagerRedis is a dataclass built from an asyncio Redis client (what
StateManager.create() does when REFLEX_REDIS_URL is set); it needs no running app.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

# Imported at collection, in the main context: Reflex registers state classes in a
# context-local RegistrationContext, which every test's event loop task then inherits.
from portal_app.state.base import BaseState
from tests.support.services import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_up():
    require_service("Redis", "127.0.0.1", 6379)
    assert BaseState.get_full_name() in RegistrationContext.get().base_states


@pytest.fixture
async def managers(redis_up):
    """A factory of StateManagerRedis instances (each its own connection pool, like a
    separate worker process); all closed, and the sessions' keys removed, afterwards."""
    from redis.asyncio import Redis
    from reflex.istate.manager.redis import StateManagerRedis

    made: list = []

    def make(lock_expiration: int = 10_000) -> StateManagerRedis:
        manager = StateManagerRedis(redis=Redis.from_url(REDIS_URL), token_expiration=120,
                                    lock_expiration=lock_expiration,
                                    lock_warning_threshold=lock_expiration // 2,
                                    oplock_hold_time_ms=lock_expiration // 4)
        made.append(manager)
        return manager

    make.tokens = []
    yield make
    for manager in made:
        await manager.close()
    client = Redis.from_url(REDIS_URL)
    for ident in make.tokens:
        keys = [k async for k in client.scan_iter(match=f"{ident}*")]
        if keys:
            await client.delete(*keys)
    await client.aclose()


def _token(managers, cls=None):
    ident = f"portal-test-{uuid.uuid4().hex}"
    managers.tokens.append(ident)
    return BaseStateToken(ident=ident, cls=cls or BaseState)


async def _base(root):
    return await root.get_state(BaseState)


async def test_state_written_by_one_worker_is_read_by_another(managers):
    from reflex.state import State

    worker_a, worker_b = managers(), managers()
    token = _token(managers)
    async with worker_a.modify_state(token) as root:
        assert type(root) is State  # the root of the app's state tree
        base = await _base(root)
        base.business_name = "Alpha Studio"
        base.sections = {"invoices": True, "files": False}
    root_b = await worker_b.get_state(token)
    base_b = await _base(root_b)
    assert base_b.business_name == "Alpha Studio"
    assert base_b.sections == {"invoices": True, "files": False}

    async with worker_b.modify_state(token) as root:  # and back the other way
        (await _base(root)).viewer_kind = "staff"
    assert (await _base(await worker_a.get_state(token))).viewer_kind == "staff"


async def test_sessions_do_not_share_state(managers):
    worker = managers()
    one, two = _token(managers), _token(managers)
    async with worker.modify_state(one) as root:
        (await _base(root)).business_name = "Only for one"
    assert (await _base(await managers().get_state(two))).business_name == ""


async def test_every_changed_var_round_trips_backend_only_vars_included(managers):
    worker_a, worker_b = managers(), managers()
    token = _token(managers)
    async with worker_a.modify_state(token) as root:
        base = await _base(root)
        base.brand_primary = "#112233"
        base.no_portal = True
        base._outcome = "saved"  # backend-only: never sent to the browser, still shared
    base = await _base(await worker_b.get_state(token))
    assert (base.brand_primary, base.no_portal, base._outcome) == ("#112233", True, "saved")


async def test_second_worker_waits_for_the_lock(managers):
    """Ordering, not a wall-clock bound: A keeps the lock until B is asking for it; B gets in
    only after A is done, and sees A's write."""
    worker_a, worker_b = managers(), managers()
    token = _token(managers)
    order: list[str] = []
    entered, asking = asyncio.Event(), asyncio.Event()

    async def first():
        async with worker_a.modify_state(token) as root:
            entered.set()
            await asking.wait()
            await asyncio.sleep(0.4)  # time for B to reach Redis; B getting in now would show in `order`
            (await _base(root)).portal_title = "from A"
            order.append("A done")

    async def second():
        await entered.wait()
        order.append("B asks")
        asking.set()
        async with worker_b.modify_state(token) as root:
            order.append("B in")
            base = await _base(root)
            assert base.portal_title == "from A"  # B sees A's write, not a stale copy
            base.portal_title = "from A then B"

    await asyncio.wait_for(asyncio.gather(first(), second()), 30)
    assert order == ["B asks", "A done", "B in"]
    assert (await _base(await worker_a.get_state(token))).portal_title == "from A then B"


async def test_a_lock_held_too_long_expires_and_the_late_write_is_refused(managers):
    from reflex_base.utils.exceptions import LockExpiredError

    slow, other = managers(lock_expiration=600), managers(lock_expiration=600)
    token = _token(managers)
    async with slow.modify_state(token) as root:
        (await _base(root)).business_name = "before"

    with pytest.raises(LockExpiredError):
        async with slow.modify_state(token) as root:
            (await _base(root)).business_name = "too late"
            await asyncio.sleep(1.0)  # longer than the 600 ms lock
            # Meanwhile the lock expired, so another worker is not blocked forever:
            async def other_writes():
                async with other.modify_state(token) as root_b:
                    (await _base(root_b)).business_name = "other worker"

            await asyncio.wait_for(other_writes(), 30)  # a bound for "forever", not a speed test
    # The expired holder's write was discarded; the other worker's stands.
    assert (await _base(await other.get_state(token))).business_name == "other worker"


async def test_lock_key_has_a_ttl_in_redis(managers):
    from redis.asyncio import Redis

    worker = managers(lock_expiration=5_000)
    token = _token(managers)
    client = Redis.from_url(REDIS_URL)
    try:
        async with worker.modify_state(token):
            lock_key = f"{token.ident}_lock"
            assert await client.get(lock_key), "no lock key while modifying"
            ttl = await client.pttl(lock_key)
            assert 0 < ttl <= 5_000
        assert await client.exists(lock_key) == 0  # released
    finally:
        await client.aclose()


def test_reflex_redis_url_selects_the_redis_state_manager(redis_up, monkeypatch):
    """With REFLEX_REDIS_URL set, the app's rxconfig picks Redis mode and StateManager.create()
    builds a StateManagerRedis pointed at that server."""
    from reflex.istate.manager import StateManager
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex_base.config import get_config, reload_config
    from reflex_base.constants import StateManagerMode

    monkeypatch.setenv("REFLEX_REDIS_URL", REDIS_URL)
    monkeypatch.delenv("REFLEX_STATE_MANAGER_MODE", raising=False)
    try:
        config = reload_config()
        assert config.app_name == "portal_app" and config.redis_url == REDIS_URL
        manager = StateManager.create()
        assert isinstance(manager, StateManagerRedis)
        assert get_config().state_manager_mode == StateManagerMode.REDIS
        assert manager.redis.connection_pool.connection_kwargs["host"] == "127.0.0.1"
        assert manager.lock_expiration == config.redis_lock_expiration
        asyncio.run(manager.redis.aclose())
    finally:
        monkeypatch.undo()
        reload_config()
    # Without the variable the app is back to its single-worker default.
    assert not get_config().redis_url
    assert get_config().state_manager_mode != StateManagerMode.REDIS
