"""Live push end to end in one process (state/chat_push.py): the real app (every transformer,
its lifespan -- which starts chat_push on the server's loop -- and Reflex's event processor)
served by granian, a client tab and a staff tab on real Socket.IO connections (live_tabs.Tab).

Each tab follows its topic (the client its contact topic, the staff member the workspace's
inbox topic), as a page's load handler will; then the client and the staff member exchange 100
messages through the services (each commit publishes the hints). After every message both tabs
must receive the frame Reflex sends for a returned event -- `{"events": [{"name": "<State>.load"}]}`
-- and catch up through the services with `after=<last seq seen>`: every message arrives once,
in order, on both sides. The event the frame names, sent back as the browser does
(state.js queueEvents), runs the tab's handler. A closed tab is dropped from the registry.

SQLite only, no Redis (the Redis registry and relay: test_hints_redis.py).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.live_tabs import Tab, handler_name
from tests.support.real_app import Served, build_real_app
from tests.support.world import HOST_A

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import portal_app.worker as worker

    mp = pytest.MonkeyPatch()
    mp.setattr(worker, "run_forever", lambda interval, stop: stop.wait())  # no jobs under the test
    try:
        with Served(build_real_app(tmp_path_factory.mktemp("live-push")), lifespan=True) as s:
            yield s
    finally:
        mp.undo()


def _app():
    import portal_app.portal_app as module

    return module.app


async def _follow(token: str, state_cls, topic: str) -> None:
    """On the server's loop, what a page's load handler does: chat_push.follow(self, ...)."""
    from reflex.istate.manager.token import BaseStateToken

    from portal_app.state import chat_push

    root = await _app().state_manager.get_state(BaseStateToken(ident=token, cls=state_cls))
    await chat_push.follow(await root.get_state(state_cls), topic, "load")


async def _followers(topic: str) -> list[str]:
    from portal_app.state import chat_push

    return sorted(f.split()[0] for f in await chat_push.registry().followers(topic))


def _pushes(tab: Tab, name: str) -> int:
    count = 0
    for frame in tab.received:
        events = json.loads(frame).get("events") or []
        count += sum(1 for e in events if e.get("name") == name)
    return count


async def _until(condition, what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {timeout} s: {what}")


@SQLITE
async def test_a_client_and_a_staff_tab_exchange_100_messages_through_hints(served, world, db, monkeypatch):
    from portal_app.adapters import hints
    from portal_app.db import unit_of_work
    from portal_app.services.accounts.auth import start_client_session, start_staff_session
    from portal_app.services.conversations import messages, threads
    from portal_app.services.portal.portal_settings import SECTIONS, portal_settings_for, update_portal_settings
    from portal_app.state import chat_push
    from portal_app.state.portal.home import HomeState
    from portal_app.state.staff.contacts import ContactsState

    current = portal_settings_for(db, world.ws_a.id)
    update_portal_settings(db, world.staff_a, portal_title=current.portal_title, accent_color=current.accent_color,
                           brand_primary=None, brand_secondary=None, sections=dict.fromkeys(SECTIONS, True),
                           chat_widget=True)
    client_cookie = start_client_session(db, world.account_a1)
    staff_cookie = start_staff_session(db, world.owner_user)
    db.commit()
    monkeypatch.setattr(messages.RATE, "limit", 10_000)
    assert chat_push._loop is served.loop  # the app's lifespan started the push on its loop

    client = await Tab(served, HOST_A, client_cookie, "/").open()
    staff = await Tab(served, HOST_A, staff_cookie, "/staff/contacts").open()
    contact_topic = hints.contact_topic(world.ws_a.id, world.contact_a1.id)
    staff_topic = hints.staff_topic(world.ws_a.id)
    served.call(_follow(client.token, HomeState, contact_topic))
    served.call(_follow(staff.token, ContactsState, staff_topic))
    client_event, staff_event = handler_name(HomeState, "load"), handler_name(ContactsState, "load")

    with unit_of_work() as w:
        conv = threads.start_for_contact(w, world.staff_a, world.contact_a1.public_id)
        conv_id = conv.public_id
        w.commit()

    sent: list[str] = []
    seen_client: list[str] = []
    seen_staff: list[str] = []
    last = {"client": 0, "staff": 0}

    def send(i: int) -> None:
        with unit_of_work() as w:
            if i % 2:
                view = messages.send_from_staff(w, world.staff_a, conv_id, f"staff says {i}")
            else:
                view = messages.send_from_client(w, world.client_a1, f"client says {i}")
            w.commit()
        sent.append(view["body"])

    def catch_up(side: str, into: list[str]) -> None:
        """What a tab's on_hint handler does: read what came after the last message shown."""
        with unit_of_work() as r:
            if side == "client":
                page = threads.client_messages(r, world.client_a1, after=last[side])
            else:
                page = threads.staff_messages(r, world.staff_a, conv_id, after=last[side])
        for row in page:
            into.append(row["body"])
            last[side] = max(last[side], row["seq"])

    for i in range(100):
        before = _pushes(client, client_event), _pushes(staff, staff_event)
        await asyncio.to_thread(send, i)
        await _until(lambda before=before: _pushes(client, client_event) > before[0]
                     and _pushes(staff, staff_event) > before[1], f"both tabs hinted of message {i}")
        await asyncio.to_thread(catch_up, "client", seen_client)
        await asyncio.to_thread(catch_up, "staff", seen_staff)
    assert len(sent) == 100
    assert seen_client == sent and seen_staff == sent  # each once, in order, on both sides

    # the browser sends the pushed event back (state.js queues update.events): the handler runs
    frame = next(json.loads(f) for f in client.received if "events" in json.loads(f))
    await client._client.call("event", {**frame["events"][0], "router_data": {"pathname": "/", "query": {},
                                                                                "asPath": "/"}},
                              namespace="/_event", timeout=20)
    await client.idle()
    assert client.server_state()[0] == "ok"

    # a closed tab: skipped, then dropped once gone longer than the grace
    await client.close()
    await _until(lambda: client.token not in _app().event_namespace.token_to_sid, "the socket gone")
    monkeypatch.setattr(chat_push, "GRACE", 0.0)
    hints.publish(contact_topic)
    await _until(lambda: not served.call(_followers(contact_topic)), "the closed tab dropped")
    assert served.call(_followers(staff_topic)) == [staff.token]
    await staff.close()
