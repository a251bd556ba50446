"""Reflex 0.10.1's Redis state manager, with one fix to how a tab's lease changes workers.

With the opportunistic lock (REFLEX_OPLOCK_ENABLED), a worker that holds a tab's lock keeps the
tab's state in memory for a lease (`oplock_hold_time_ms`) and gives it up at once only when
another worker asks: a worker that waits for the lock adds itself to the set
`<token>_lock_waiters`, and the holder, told of the SADD by a keyspace notification, ends its
lease; a holder that finds the set non-empty when it gets the lock takes no lease.

Reflex adds the *worker's* id to that set, once for each of its events that waits, and removes
it when any one of them stops waiting. So when a worker has two events waiting for the same tab
(a reloaded page's hydrate and its on_load; an event and a live follower), the first to get the
lock removes the id while the second still waits; the other worker, getting the lock next, sees
no contender and takes a lease, and the second event waits for that whole lease (5 s with
Reflex's settings, 20 s with REFLEX_OPLOCK_HOLD_TIME=20s): a second SADD of an id already in the
set changes nothing, so Redis sends no notification either. bench/lease_handover.py reproduces
it (docs/performance.md, "A tab's lease held for a whole visit").

Here each waiting event adds its own member (`<worker id>:<random>`) and removes only that one,
so every waiting event is announced and counted until it stops waiting; only other workers'
members count as contenders (a worker's own waiting events share its lease, as in Reflex).

A second, smaller fix: an event cancelled just as its SET NX took the lock (Reflex cancels a
superseded on_load chain, e.g. when a newer navigation or a reconnect's hydrate comes) left
`_wait_lock` without releasing it, and without waking the next event of its worker in line: every
other event of the tab, on either worker, then waited until the lock expired (10 s; 30 s with a
20 s lease). Here a wait that ends by an exception gives the lock back if it is its own, and wakes
the next waiter. (A cancellation a few awaits later, in `_try_modify_state` before the state is
in hand, can still leave the lock to expire: that needs Reflex to release its exit stack there.)

Upstream would need the same changes in StateManagerRedis (`_request_lock_release`,
`_n_lock_contenders`, `_wait_lock`); drop this subclass when Reflex has them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

from reflex.istate.manager.redis import OplockFound, StateManagerRedis

# Delete the lock only while it is held by ARGV[1] (an event's own lock id).
_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclasses.dataclass
class PortalStateManagerRedis(StateManagerRedis):
    """StateManagerRedis whose lock waiters are announced one by one (see the module)."""

    def _own_member_prefix(self) -> bytes:
        return f"{self._instance_id}:".encode()

    @contextlib.asynccontextmanager
    async def _request_lock_release(self, lock_key: bytes, lock_id: bytes) -> AsyncIterator[None]:
        """Announce this waiting event in `<lock_key>_waiters` until it stops waiting."""
        if not self._oplock_enabled:
            yield
            return
        waiters_key = lock_key + b"_waiters"
        member = self._own_member_prefix() + uuid.uuid4().hex.encode()
        pipeline = self.redis.pipeline()
        pipeline.sadd(waiters_key, member)  # a new member: the holder is always notified
        pipeline.pexpire(waiters_key, self.lock_expiration)
        await pipeline.execute()
        try:
            yield
        finally:
            await self.redis.srem(waiters_key, member)  # type: ignore[misc]

    async def _wait_lock(self, lock_key: bytes, lock_id: bytes) -> None:
        """Reflex's wait, but one that ends by an exception (a cancelled event) keeps no lock."""
        try:
            await super()._wait_lock(lock_key, lock_id)
        except OplockFound:
            raise  # the state is this worker's already: the event goes on with it
        except BaseException:
            # It may have taken the lock as it was cancelled, or taken the notification meant
            # for the event behind it: pass both on (the release's own notification wakes the
            # other worker's waiters).
            self._notify_next_waiter(lock_key)
            release = cast("Callable[..., Awaitable[int]]", self.redis.eval)  # bytes keys, int reply
            with contextlib.suppress(Exception):  # Redis gone: the lock expires; the first error stands
                await asyncio.shield(asyncio.ensure_future(release(_RELEASE_IF_OURS, 1, lock_key, lock_id)))
            raise

    async def _n_lock_contenders(self, lock_key: bytes) -> int:
        """How many events of *other* workers wait for this lock."""
        members: Any = await self.redis.smembers(lock_key + b"_waiters")  # type: ignore[misc]
        own = self._own_member_prefix()
        return sum(1 for member in members if not member.startswith(own))


def install(app: Any) -> None:
    """Give `app` this manager in place of the StateManagerRedis Reflex created (nothing else is
    replaced). The App creates its manager once, in its constructor, before any event loop."""
    current = getattr(app, "_state_manager", None)
    if type(current) is not StateManagerRedis:
        return
    # mypy, run without its cache, takes Reflex's @override methods for abstract ones.
    app._state_manager = PortalStateManagerRedis(  # type: ignore[abstract, unused-ignore]
        redis=current.redis,
        token_expiration=current.token_expiration,
        lock_expiration=current.lock_expiration,
        lock_warning_threshold=current.lock_warning_threshold,
        oplock_hold_time_ms=current.oplock_hold_time_ms,
    )
