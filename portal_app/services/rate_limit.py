"""A small in-process rate limit: at most `limit` hits per key in any `window` seconds.

    limiter = RateLimiter(limit=30, window=600)
    limiter.hit(key)          # None if allowed (and counted), else seconds until it would be

Used where a person need not be signed in and each request costs real work (the public
/verify page: one limited child process per check). It is kept in memory, per server
process: with N workers a key gets up to N × limit, which is still a bound; a restart
forgets it, which costs an attacker nothing they could not get by waiting. Sign-in
throttling, which must survive restarts and span workers, lives in the database instead
(services/accounts/auth.py).

The clock is injected (a monotonic seconds function), so tests step it instead of sleeping.
Memory is bounded: keys idle for a whole window are dropped, and at most `max_keys` are
kept (the least recently seen go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit, self.window, self.clock, self.max_keys = limit, float(window), clock, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # hit() is called from worker threads

    def hit(self, key: str) -> float | None:
        """Count one hit for `key` and return None, or refuse (nothing counted) and return
        the seconds until the oldest hit in the window expires."""
        now = self.clock()
        with self._lock:
            self._forget_idle(now)
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits  # most recently seen last
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window - now)
            hits.append(now)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def _forget_idle(self, now: float) -> None:
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > now - self.window:
                break
            del self._hits[key]
