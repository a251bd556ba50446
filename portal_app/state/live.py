"""Live pages: a background event that keeps an open page current without a reload.

While the browser stays on the page it was started from, it reads a cheap marker (a few
columns of the rows on screen, by primary or unique key) every few seconds and refreshes
the page's view only when the marker changed. It ends when the browser leaves the page,
when the tab is closed (its socket is gone from this process), when a newer follower starts
(a reload, a second tab of the same session), or after `minutes`, or when the tab's state is
bound to another session (signed out, someone else signed in: session_guard.py); it never
writes into a tree another session owns. The state's lock is held only for the moment of
each check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

EVERY = 2.0
MINUTES = 30


def _path(state) -> str:
    return (state.router.url.path or "").rstrip("/")


def _event_namespace():
    """The app's socket namespace (None when no app is serving, e.g. in a unit test)."""
    try:
        from reflex.utils.prerequisites import get_app

        return get_app().app.event_namespace
    except Exception:
        return None


def _tab_connected(state) -> bool:
    """Whether the tab still has a socket here: a closed tab's follower would otherwise poll
    the database every few seconds for the rest of its `minutes`, for nobody."""
    token = getattr(getattr(state.router, "session", None), "client_token", "")
    namespace = _event_namespace()
    if not token or namespace is None:
        return True  # not a served tab (a state driven without a socket): nothing to tell
    return token in namespace.token_to_sid


TRIES = 3  # checks in a row that fail unexpectedly before a follower gives up


def _quietly(*_args) -> None:
    """A follower refused by the services (signed out, disabled, the object went away) just
    stops: the page's next event says what happened."""


async def follow(state, marker: Callable[[Any, Any], Any], refresh: Callable[[Any, Any], object], *,
                 every: float = EVERY, minutes: float = MINUTES) -> None:
    """`marker(db, actor)` → any comparable value; `refresh(db, actor)` reloads the view.
    Both run with the actor resolved again for each check (a revoked session stops it)."""
    async with state:
        state._live += 1
        mine, path, bound = state._live, _path(state), state._bound_session
        ok, last = await state._run_background(lambda db, _ws, actor: marker(db, actor),
                                         on_error=_quietly, on_unexpected=_quietly)
        if not ok:
            return
    misses = 0
    for _ in range(int(minutes * 60 / every)):
        await asyncio.sleep(every)
        if not _tab_connected(state):
            return  # the tab was closed (a reconnecting tab loads its page, which follows anew)
        async with state:
            if state._live != mine or _path(state) != path or state._bound_session != bound:
                return  # left the page, a newer follower, or another session took the tab

            def check(db, _ws, actor, last=last):
                now = marker(db, actor)
                if now != last:
                    refresh(db, actor)
                return now

            failed: list[bool] = []
            ok, now = await state._run_background(check, on_error=_quietly,
                                                  on_unexpected=lambda failed=failed: failed.append(True))
            if ok:
                last, misses = now, 0
            elif failed and misses + 1 < TRIES:
                misses += 1  # a passing fault (the database busy, say; logged): the next check tries again
            else:
                return
