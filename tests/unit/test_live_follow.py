"""state/live.follow ends when its tab is closed (a closed staff tab's follower polled the
database every 2 s for up to 30 minutes for nobody: seen by the load generator, 35 % of a core
with no client connected), and never writes into a tree another session took over."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from portal_app.state import live
from portal_app.state.base import BaseState


class Tab:
    def __init__(self):
        self._live, self._bound_session = 0, "staff-session"
        self.router = SimpleNamespace(url=SimpleNamespace(path="/staff/invoices"),
                                      session=SimpleNamespace(client_token="tab-1"))

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def _context(self, db):
        return SimpleNamespace(workspace=None, actor=None)

    _run_background = BaseState._run_background
    _run_background_here = BaseState._run_background_here
    _kept_out = BaseState._kept_out  # a client at a staff page is kept out (none here: staff)


def _follow(monkeypatch, sockets: dict, close_after: int):
    checks, ticks = [], []

    async def tick(_seconds):
        ticks.append(1)
        if len(ticks) == close_after:
            sockets.clear()  # the browser closed the tab: its socket went away

    monkeypatch.setattr(live.asyncio, "sleep", tick)
    monkeypatch.setattr(live, "_event_namespace", lambda: SimpleNamespace(token_to_sid=sockets))
    asyncio.run(live.follow(Tab(), lambda db, a: checks.append(1) or 0, lambda db, a: None, every=1, minutes=1))
    return checks, ticks


def test_the_follower_stops_when_its_tab_is_closed(db, monkeypatch):
    checks, ticks = _follow(monkeypatch, {"tab-1": "sid-1"}, close_after=3)
    assert len(ticks) == 3 and len(checks) == 3  # the first look, two checks, then nothing


def test_the_follower_of_an_open_tab_goes_on(db, monkeypatch):
    checks, ticks = _follow(monkeypatch, {"tab-1": "sid-1", "other": "sid-2"}, close_after=10_000)
    assert len(ticks) == 60 and len(checks) == 61  # a minute at one check a second, all of it


def test_a_live_follower_stops_when_the_tab_changes_hands(monkeypatch):
    """live.follow never writes into a tree another session took over: it compares the
    binding it started under before every refresh."""
    tab, refreshed, ticks = Tab(), [], []

    async def no_wait(_seconds):
        ticks.append(1)
        if len(ticks) == 2:
            tab._bound_session = ""  # signed out; the next person's events own the tree now

    monkeypatch.setattr(live.asyncio, "sleep", no_wait)
    monkeypatch.setattr(live, "_event_namespace", lambda: SimpleNamespace(token_to_sid={"tab-1": "sid-1"}))  # still open
    marks = iter(range(100))
    asyncio.run(live.follow(tab, lambda db, a: next(marks), lambda db, a: refreshed.append(1),
                            every=1, minutes=1))
    assert len(refreshed) == 1 and len(ticks) == 2  # one refresh while it was hers, then it stopped


def _faulty_follow(monkeypatch, faults: list[bool], *, refused: bool = False):
    """A follower whose checks fail (True) or read the marker (False) in this order, then read."""
    from portal_app.errors import NotFound

    checks, refreshed = [], []
    async def tick(_seconds):
        pass

    monkeypatch.setattr(live.asyncio, "sleep", tick)
    monkeypatch.setattr(live, "_event_namespace", lambda: SimpleNamespace(token_to_sid={"tab-1": "sid-1"}))

    def marker(db, actor):
        checks.append(1)
        if len(checks) > 1 and faults and faults.pop(0):
            if refused:
                raise NotFound("This document does not exist.")
            raise RuntimeError("database is locked")
        return len(checks) // 3  # changes every third check

    asyncio.run(live.follow(Tab(), marker, lambda db, a: refreshed.append(1), every=1, minutes=0.25))
    return checks, refreshed


def test_a_passing_fault_does_not_end_the_follower(db, monkeypatch):
    """A check that fails unexpectedly (logged) is tried again at the next tick: a page that
    waits for the seal must not freeze for good on one busy moment of the database."""
    checks, refreshed = _faulty_follow(monkeypatch, [True, True, False, True])
    assert len(checks) == 16 and refreshed  # the first look and all 15 checks of the quarter minute


def test_faults_in_a_row_end_the_follower(db, monkeypatch):
    checks, _ = _faulty_follow(monkeypatch, [True] * live.TRIES)
    assert len(checks) == 1 + live.TRIES


def test_a_refusal_ends_the_follower_at_once(db, monkeypatch):
    """Signed out, the object gone: the services refuse, and the follower stops (no retries)."""
    checks, _ = _faulty_follow(monkeypatch, [True], refused=True)
    assert len(checks) == 2
