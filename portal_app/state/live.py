"""Live pages: a background event that keeps an open page current without a reload.

While the browser stays on the page it was started from, it reads a cheap marker (a few
columns of the rows on screen, by primary or unique key) every few seconds and refreshes
the page's view only when the marker changed. It ends when the browser leaves the page,
when a newer follower starts (a reload, a second tab of the same session), or after
`minutes`, or when the tab's state is bound to another session (signed out, someone else
signed in: session_guard.py); it never writes into a tree another session owns. The
state's lock is held only for the moment of each check.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from ..db import unit_of_work
from ..errors import ServiceError

log = logging.getLogger("portal.live")
EVERY = 2.0
MINUTES = 30


def _path(state) -> str:
    return (state.router.url.path or "").rstrip("/")


async def follow(state, marker: Callable[[Any, Any], Any], refresh: Callable[[Any, Any], None], *,
                 every: float = EVERY, minutes: float = MINUTES) -> None:
    """`marker(db, actor)` → any comparable value; `refresh(db, actor)` reloads the view.
    Both run with the actor resolved again for each check (a revoked session stops it)."""
    async with state:
        state._live += 1
        mine, path, bound = state._live, _path(state), state._bound_session
        try:
            with unit_of_work() as db:
                _ws, actor = state._context(db)
                last = marker(db, actor)
        except ServiceError:
            return
    for _ in range(int(minutes * 60 / every)):
        await asyncio.sleep(every)
        async with state:
            if state._live != mine or _path(state) != path or state._bound_session != bound:
                return  # left the page, a newer follower, or another session took the tab
            try:
                with unit_of_work() as db:
                    _ws, actor = state._context(db)
                    now = marker(db, actor)
                    if now != last:
                        last = now
                        refresh(db, actor)
            except ServiceError:
                return  # signed out, disabled, or the object went away: the next event says so
            except Exception:  # noqa: BLE001
                log.exception("a live page stopped following")
                return
