"""Chat on the production configuration: PostgreSQL, Redis, two granian workers
(`python -m portal_app.cli serve` started as bench/chat_latency.py starts it: a fresh copy of the
app, its own database and Redis database number, backend only), a client tab and a staff tab on
real sockets speaking Reflex's protocol (bench/chat_latency.Tab: a pushed event is sent back as
the browser does).

The two tabs are forced onto different workers: the staff tab is opened again under a new token
until Reflex's token manager record in Redis names another worker than the client tab's. Then 100
messages go through the real handlers (ChatState.send from the client tab, InboxState.send from
the staff tab): each reaches the other tab through the push -- a pushed `on_hint` event, sent back,
whose delta carries the message -- within 1 s, and at the end both tabs show all 100 once, in order.
A reconnect (the client tab closed, staff messages meanwhile, the same token back) catches up from
the database: nothing lost, nothing twice.

The per-sender chat rate limit is lifted in the server process (bench/chat_latency.SERVER_CODE).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.services import require_service

LIMIT_S = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    from bench.chat_latency import start_server

    s = start_server("production", tmp_path_factory.mktemp("chat-two-workers"), clients=2, staff=1)
    try:
        assert len(s.worker_pids()) == 2
        yield s
    finally:
        s.stop()


async def _pair(server, n: int):
    """A client tab with the widget loaded and a staff tab on that client's thread, on two workers."""
    from bench.chat_latency import Tab
    from portal_app.state.portal.chat import ChatState

    entry = server.setup["clients"][n]
    client = await Tab(server, entry["cookie"], "/").open()
    start = len(client.frames)
    await client.send(ChatState, "load")
    await client.until(lambda text: '"enabled_rx_state_": true' in text, start, 20, "the widget loaded")
    client_worker = await server.worker_of(client.token)
    for _attempt in range(30):
        staff = await Tab(server, server.setup["staff"][0], f"/staff/inbox/{entry['conv']}").open()
        if await server.worker_of(staff.token) != client_worker:
            break
        await staff.close()
    else:
        pytest.fail("30 staff tabs in a row landed on the client tab's worker")
    assert staff.last_var("selected") == entry["conv"]  # the thread is open in the staff tab
    return client, staff, client_worker


def _came_by_push(tab, delta_at: float) -> bool:
    """The delta that carried the message answers a pushed on_hint: the tab has sent nothing of its
    own since its last send but echoes of pushes, and a push reached it after that send. (The push
    of an earlier change -- a read mark, the tab's own message -- may be the one whose re-read finds
    the new message already committed; the message's own push then finds nothing new.)"""
    for at, text in tab.frames:
        if at < tab.last_send:
            continue
        if at > delta_at:
            break
        events = json.loads(text).get("events") or []
        if any(e.get("name", "").endswith(".on_hint") for e in events):
            return True
    return False


async def test_a_client_and_a_staff_tab_on_two_workers_exchange_100_messages(server):
    from bench.chat_latency import delta_with, marks, new_mark
    from portal_app.state.portal.chat import ChatState
    from portal_app.state.staff.inbox import InboxState

    client, staff, _ = await _pair(server, 0)
    sent: list[str] = []
    slow: list[tuple[int, float]] = []
    try:
        for i in range(100):
            mark = new_mark(i)
            if i % 2 == 0:
                sender, receiver = client, staff
                start = len(receiver.frames)
                t0 = await client.send(ChatState, "send", form_data={"body": f"client says {mark}"})
            else:
                sender, receiver = staff, client
                start = len(receiver.frames)
                t0 = await staff.send(InboxState, "send", form={"body": f"staff says {mark}"})
            at, _text = await receiver.until(delta_with(mark), start, 10, f"message {i} on the other tab")
            assert _came_by_push(receiver, at), f"message {i} arrived without a push"
            if at - t0 > LIMIT_S:
                slow.append((i, round(at - t0, 3)))
            sent.append(mark)
            assert sender is not receiver
        assert not slow, f"messages slower than {LIMIT_S} s: {slow}"
        await asyncio.sleep(0.5)  # the last read marks' hints settle
        assert marks(client.last_var("messages")) == sent  # each once, in order
        assert marks(staff.last_var("thread")) == sent
    finally:
        await client.close()
        await staff.close()


async def test_a_reconnected_client_tab_catches_up_without_losing_or_repeating(server):
    from bench.chat_latency import Tab, delta_with, marks, new_mark
    from portal_app.state.portal.chat import ChatState
    from portal_app.state.staff.inbox import InboxState

    client, staff, _ = await _pair(server, 1)
    try:
        for i in range(3):
            mark = new_mark(i)
            start = len(client.frames)
            await staff.send(InboxState, "send", form={"body": f"before {mark}"})
            await client.until(delta_with(mark), start, 10, "a message before the reconnect")
        shown = marks(client.last_var("messages"))
        assert len(shown) == 3
        token, cookie = client.token, client.cookie
        await client.close()
        missed = []
        for i in range(3, 8):
            mark = new_mark(i)
            start = len(staff.frames)
            await staff.send(InboxState, "send", form={"body": f"meanwhile {mark}"})
            await staff.until(delta_with(mark), start, 10, "the staff tab's own message")  # committed
            missed.append(mark)
        again = await Tab(server, cookie, "/", token=token).open()
        try:
            start = len(again.frames)
            await again.send(ChatState, "load")  # the widget on the reloaded page
            await again.until(delta_with(missed[-1]), start, 10, "the catch-up")
            await asyncio.sleep(0.5)
            assert marks(again.last_var("messages")) == shown + missed
        finally:
            await again.close()
    finally:
        await staff.close()
