"""State bound to the session that loaded it (issue #11, items 1 and 2; session_guard.py).

Each case builds one tab's whole state tree, runs real page loads in it as one person (the
guard runs first, as Reflex runs middlewares before every handler), then delivers the next
event as someone else -- signed out, another client, a raw replay of the tab token without
its cookie -- and looks at everything a hydrate would send (`root.dict()`, every substate).

On today's main (no guard) every case that changes hands fails: the tree keeps what the
first person loaded.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from reflex_base.event import Event

from portal_app.state.session_guard import SessionGuard, app_state_classes, binding_of
from tests.support.matrix import matrix
from tests.support.states import HOST_A


def _hydrate() -> Event:
    from reflex.state import State
    from reflex_base.utils.format import format_event_handler

    return Event(name=format_event_handler(State.event_handlers["hydrate_and_load"]))


def _event(state_cls, handler: str) -> Event:
    from reflex_base.utils.format import format_event_handler

    return Event(name=format_event_handler(state_cls.event_handlers[handler]))


def _route(root, host: str, cookie: str | None, path: str) -> None:
    from reflex.istate.data import RouterData

    headers = {"host": host, "origin": f"https://{host}"}
    if cookie:
        headers["cookie"] = f"portal_session={cookie}"
    root.router_data = {"headers": headers, "pathname": path, "asPath": path}
    root.router = RouterData.from_router_data(root.router_data)


def _tab():
    from reflex.state import State

    import portal_app.portal_app  # noqa: F401  (registers every state)

    return State(_reflex_internal_init=True)


def _deliver(root, host, cookie, path, event) -> None:
    """What Reflex does for one event: merge its router data, then run the middleware."""
    _route(root, host, cookie, path)
    asyncio.run(SessionGuard().preprocess(app=None, state=root, event=event))


def _load(root, state_cls, host, cookie, path) -> None:
    _deliver(root, host, cookie, path, _event(state_cls, "load"))
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    ran = state_cls.event_handlers["load"].fn(state)
    if asyncio.iscoroutine(ran):
        asyncio.run(ran)


def _dump(root) -> str:
    return json.dumps(root.dict(), default=str)


def _pages(world):
    """Every page's load handler with its path, from the authorization matrix."""
    seen, pages = set(), []
    for state_cls, handler, _args, path, *_ in matrix(world):
        if handler == "load" and state_cls not in seen:
            seen.add(state_cls)
            pages.append((state_cls, path() if callable(path) else path))
    return pages


def _loaded_everything(world, actors, who: str):
    host, cookie = actors[who]
    root = _tab()
    for state_cls, path in _pages(world):
        _load(root, state_cls, host, cookie, path)
    return root


def _strings(value) -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            out |= _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            out |= _strings(v)
    elif isinstance(value, str) and len(value) >= 6:
        out.add(value)
    return out


def _what_they_loaded(root) -> set[str]:
    """Strings in the tree that a tree nobody used does not hold (names, emails, notes,
    links, ids...): what this person's page loads put there."""
    baseline = _strings(_tab().dict())
    return {s for s in _strings(root.dict()) - baseline if not s.startswith(("/", "http://", "https://"))}


@pytest.mark.parametrize("who,next_person", [
    ("staff_a", "anon"),          # staff sign out: the signed-out page
    ("staff_a", "client_a1"),     # ... and a client signs in in the same tab
    ("member_a", "client_a2"),
    ("client_a1", "client_a2"),   # client -> client
    ("client_a1", "anon"),
])
def test_the_next_person_at_this_computer_receives_nothing(world, db, actors, who, next_person):
    root = _loaded_everything(world, actors, who)
    loaded = _what_they_loaded(root)
    first_email = {"staff_a": "owner@alpha.example", "member_a": "member@alpha.example",
                   "client_a1": "alice@client.example"}[who]
    assert first_email in _dump(root)  # the pages did load their data: the check can fail
    host, cookie = actors[next_person]
    _deliver(root, host, cookie, "/", _hydrate())
    leaked = sorted(loaded & _strings(root.dict()))
    assert not leaked, f"{who}'s data reached {next_person}'s hydrate: {leaked[:10]}"
    base = root.get_substate(app_state_classes()[0].get_full_name().split(".")[1:])
    assert base._bound_session == binding_of(cookie)


def test_a_replayed_tab_token_without_the_cookie_gets_the_empty_tree(world, db, actors):
    root = _loaded_everything(world, actors, "staff_a")
    loaded = _what_they_loaded(root)
    _deliver(root, HOST_A, None, "/staff/contacts", _hydrate())  # the raw websocket: no cookie
    assert not loaded & _strings(root.dict())
    # ... and for an ordinary event (not a hydrate), the same: whatever runs next starts empty
    root = _loaded_everything(world, actors, "staff_a")
    from portal_app.state.staff.contacts import ContactsState

    _deliver(root, HOST_A, None, "/staff/contacts", _event(ContactsState, "search"))
    assert not loaded & _strings(root.dict())


def test_the_same_session_keeps_its_page(world, db, actors):
    """No reset while the session stays: a navigation or hydrate keeps what was loaded."""
    host, cookie = actors["staff_a"]
    root = _loaded_everything(world, actors, "staff_a")
    loaded = _what_they_loaded(root)
    assert "owner@alpha.example" in loaded
    _deliver(root, host, cookie, "/staff/contacts", _hydrate())
    assert _what_they_loaded(root) == loaded


def test_a_session_that_ended_elsewhere_is_emptied_on_the_next_page_load(world, db, actors):
    from portal_app.services.accounts import auth

    host, cookie = actors["staff_a"]
    root = _loaded_everything(world, actors, "staff_a")
    loaded = _what_they_loaded(root)
    auth.sign_out(db, cookie)  # signed out in another tab: the same cookie, a dead session
    db.commit()
    _deliver(root, host, cookie, "/staff/contacts", _hydrate())
    assert not loaded & _strings(root.dict())


def test_every_substate_is_reset_backend_vars_included(world, db, actors):
    from portal_app.state.staff.contacts import ContactRecordState

    host, cookie = actors["staff_a"]
    root = _tab()
    path = f"/staff/contacts/{world.contact_a1.public_id}"
    _load(root, ContactRecordState, host, cookie, path)
    record = root.get_substate(ContactRecordState.get_full_name().split(".")[1:])
    record._outcome = "ok"
    assert record.contact
    _deliver(root, *actors["client_a2"], "/", _hydrate())
    assert record.contact == ContactRecordState.__fields__["contact"].default_value()
    assert record._outcome == ""


def test_an_upload_naming_an_unknown_tab_creates_no_state(monkeypatch):
    """A made-up tab token in an upload is refused without a tree being made (and kept for the
    expiry) for it in the memory state manager, the embedded default."""
    import reflex.istate.manager as managers
    from reflex.istate.manager.memory import StateManagerMemory

    from portal_app.state.session_guard import UploadGuard

    manager = StateManagerMemory()
    monkeypatch.setattr(managers, "get_state_manager", lambda: manager)
    for i in range(3):
        assert asyncio.run(UploadGuard._matches(f"made-up-{i}", "")) is False
    assert len(manager.states) == 0
