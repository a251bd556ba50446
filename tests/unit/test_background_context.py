"""BaseState._run_background: the one way a background handler gets (db, workspace, actor):
a unit of work of its own, in an event thread, the context resolved afresh, errors mapped as
in _run."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import SimpleNamespace

from portal_app.errors import Invalid
from portal_app.state.base import GENERIC, BaseState


class Tab:
    """What the helper touches on a background handler's state proxy."""

    def __init__(self, actor):
        self.actor, self.notice, self.notice_tone, self.contexts = actor, "", "green", 0

    def _context(self, db):
        self.contexts += 1
        return SimpleNamespace(workspace="ws", actor=self.actor)

    _run_background_here = BaseState._run_background_here
    router = SimpleNamespace(url=SimpleNamespace(path="/staff/invoices"))
    _kept_out = BaseState._kept_out  # a client at a staff page is kept out (none here: staff)
    _notify = BaseState._notify

    def _run_background(self, work, **kwargs):
        """As a background handler awaits it (inside `async with self`)."""
        return asyncio.run(BaseState._run_background(self, work, **kwargs))  # type: ignore[arg-type]


def test_the_work_gets_a_fresh_context_and_its_result_comes_back(db, world):
    tab = Tab(world.staff_a)
    assert tab._run_background(lambda db, ws, actor: (ws, actor)) == (True, ("ws", world.staff_a))
    assert tab._run_background(lambda db, ws, actor: None) == (True, None)
    assert tab.contexts == 2 and tab.notice == ""


def test_the_work_runs_in_an_event_thread_not_on_the_event_loop(db, world):
    loop_thread = threading.get_ident()
    ok, thread = Tab(world.staff_a)._run_background(lambda db, ws, actor: threading.current_thread())
    assert ok and thread.ident != loop_thread and thread.name.startswith("portal-event")


def test_a_service_error_becomes_the_notice_or_goes_to_on_error(db, world):
    def refuse(db, ws, actor):
        raise Invalid("That is not allowed here.")

    tab = Tab(world.staff_a)
    assert tab._run_background(refuse) == (False, None)
    assert (tab.notice, tab.notice_tone) == ("That is not allowed here.", "red")
    seen = []
    tab.notice = ""
    assert tab._run_background(refuse, on_error=seen.append) == (False, None)
    assert [e.message for e in seen] == ["That is not allowed here."] and tab.notice == ""


def test_anything_unexpected_is_logged_and_shown_as_the_generic_message(db, world, caplog):
    def broken(db, ws, actor):
        raise RuntimeError("secret detail")

    tab = Tab(world.staff_a)
    with caplog.at_level(logging.ERROR, logger="portal.state"):
        assert tab._run_background(broken) == (False, None)
    assert (tab.notice, tab.notice_tone) == (GENERIC, "red") and "secret detail" not in tab.notice
    assert "unexpected error in a background event of Tab" in caplog.text
    quiet = []
    tab.notice = ""
    assert tab._run_background(broken, on_unexpected=lambda: quiet.append(1)) == (False, None)
    assert quiet == [1] and tab.notice == ""
