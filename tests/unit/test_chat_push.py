"""state/chat_push.py without Redis: the registry, the event a hint makes the browser send,
delivery from another thread onto the app's loop, tabs on another worker left alone, closed
tabs dropped, typing hints rate-limited. The socket side is Reflex's own LocalTokenManager
behind a recording stand-in for the app's event namespace."""

from __future__ import annotations

import asyncio
import threading

import pytest
from reflex.utils.token_manager import LocalTokenManager, SocketRecord

from portal_app.adapters import hints
from portal_app.state import chat_push
from tests.support.states import tab_state

TOPIC = "chat:1:contact:2"


class Namespace:
    """What chat_push uses of Reflex's EventNamespace: the token manager and emit_update."""

    def __init__(self):
        self._token_manager = LocalTokenManager()
        self.sent: list[tuple[str, dict]] = []
        self.arrived = asyncio.Event()

    def connect(self, token: str, instance_id: str | None = None) -> None:
        self._token_manager.token_to_socket[token] = SocketRecord(
            instance_id=instance_id or self._token_manager.instance_id, sid=f"sid-{token}")

    async def emit_update(self, update, token: str) -> None:
        import json

        from reflex_base.utils.format import json_dumps

        self.sent.append((token, json.loads(json_dumps(update))))  # the frame's JSON, as sent
        self.arrived.set()


@pytest.fixture
def namespace(monkeypatch):
    ns = Namespace()
    monkeypatch.setattr(chat_push, "_event_namespace", lambda: ns)
    monkeypatch.setattr(chat_push, "_registry", chat_push.LocalRegistry())
    yield ns
    chat_push.stop()




async def _until(condition, what: str, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {timeout} s: {what}")


async def test_a_hint_makes_each_following_tab_call_its_handler(namespace):
    from reflex_base.utils.format import format_event_handler

    from portal_app.state.portal.home import HomeState

    a, b, other = tab_state("tab-a"), tab_state("tab-b"), tab_state("tab-other")
    for token in ("tab-a", "tab-b", "tab-other"):
        namespace.connect(token)
    await chat_push.follow(a, TOPIC, "load")
    await chat_push.follow(b, TOPIC, "load")
    await chat_push.follow(b, TOPIC, "load")  # again (a reload): still one follower
    await chat_push.follow(other, "chat:1:contact:3", "load")

    hints.publish(TOPIC)
    await _until(lambda: len(namespace.sent) >= 2, "both tabs told")
    await asyncio.sleep(0.05)
    assert sorted(token for token, _ in namespace.sent) == ["tab-a", "tab-b"]
    name = format_event_handler(HomeState.event_handlers["load"])  # what the page's buttons send
    for _token, frame in namespace.sent:
        # exactly the update Reflex sends for an event a handler returns to the browser: no
        # delta, one event whose router data the browser fills in (state.js applyEvent)
        assert frame == {"events": [{"name": name, "payload": {}, "router_data": {}}]}
    assert name.endswith("___home____home_state.load")


async def test_a_hint_from_another_thread_is_delivered_on_the_loop_and_coalesced(namespace):
    namespace.connect("tab-a")
    await chat_push.follow(tab_state("tab-a"), TOPIC, "load")
    loop = asyncio.get_running_loop()
    delivered_on: list[asyncio.AbstractEventLoop] = []
    real = namespace.emit_update

    async def emit(update, token):
        delivered_on.append(asyncio.get_running_loop())
        await real(update, token)

    namespace.emit_update = emit
    # a service's commit in an event thread, or the Redis listener: ten hints at once
    thread = threading.Thread(target=lambda: [hints.publish(TOPIC) for _ in range(10)])
    thread.start()
    thread.join()
    await _until(lambda: namespace.sent, "the tab told")
    await asyncio.sleep(0.1)
    assert delivered_on and all(one is loop for one in delivered_on)
    assert 1 <= len(namespace.sent) <= 10  # hints waiting for one delivery are one event
    hints.publish(TOPIC)  # a later hint is a new delivery
    count = len(namespace.sent)
    await _until(lambda: len(namespace.sent) > count, "told again")


async def test_unfollow_and_topics_nobody_follows(namespace):
    namespace.connect("tab-a")
    state = tab_state("tab-a")
    await chat_push.follow(state, TOPIC, "load")
    await chat_push.unfollow(state, TOPIC)
    assert await chat_push._deliver(TOPIC) == 0
    assert await chat_push._deliver("chat:9:staff") == 0
    assert namespace.sent == []
    assert not chat_push.registry().may_have(TOPIC)


async def test_an_unknown_handler_is_refused_at_follow(namespace):
    with pytest.raises(ValueError, match="no event handler"):
        await chat_push.follow(tab_state("tab-a"), TOPIC, "no_such_handler")


async def test_a_tab_on_another_worker_is_left_to_it(namespace):
    namespace.connect("tab-far", instance_id="another-worker")  # its socket is there (Redis told us)
    await chat_push.follow(tab_state("tab-far"), TOPIC, "load")
    assert await chat_push._deliver(TOPIC) == 0
    assert namespace.sent == []  # that worker got the same hint and tells it: never twice
    assert "tab-far" in " ".join(await chat_push.registry().followers(TOPIC))


async def test_a_closed_tab_is_skipped_then_dropped_after_the_grace(namespace, monkeypatch):
    namespace.connect("tab-a")
    await chat_push.follow(tab_state("tab-a"), TOPIC, "load")
    await chat_push.follow(tab_state("tab-gone"), TOPIC, "load")  # its socket has closed since
    now = [1000.0]
    monkeypatch.setattr(chat_push.time, "monotonic", lambda: now[0])
    assert await chat_push._deliver(TOPIC) == 1
    assert len(await chat_push.registry().followers(TOPIC)) == 2  # maybe reconnecting: kept
    now[0] += chat_push.GRACE + 1
    assert await chat_push._deliver(TOPIC) == 1
    assert [f.split()[0] for f in await chat_push.registry().followers(TOPIC)] == ["tab-a"]
    assert [token for token, _ in namespace.sent] == ["tab-a", "tab-a"]


async def test_closed_tabs_of_topics_nobody_hints_are_swept(namespace, monkeypatch):
    monkeypatch.setattr(chat_push, "SWEEP_EVERY", 3)
    monkeypatch.setattr(chat_push, "_follows", 0)
    now = [1000.0]
    monkeypatch.setattr(chat_push.time, "monotonic", lambda: now[0])
    namespace.connect("tab-a")
    await chat_push.follow(tab_state("tab-gone"), "chat:1:contact:8", "load")
    await chat_push.follow(tab_state("tab-a"), TOPIC, "load")
    await chat_push.follow(tab_state("tab-a"), TOPIC, "load")  # the 3rd follow: a sweep (gone since now)
    assert chat_push.registry().may_have("chat:1:contact:8")
    now[0] += chat_push.GRACE + 1
    for _ in range(3):
        await chat_push.follow(tab_state("tab-a"), TOPIC, "load")
    assert not chat_push.registry().may_have("chat:1:contact:8")
    assert chat_push.registry().may_have(TOPIC)


async def test_a_tab_back_within_the_grace_keeps_its_place(namespace, monkeypatch):
    await chat_push.follow(tab_state("tab-a"), TOPIC, "load")
    now = [1000.0]
    monkeypatch.setattr(chat_push.time, "monotonic", lambda: now[0])
    assert await chat_push._deliver(TOPIC) == 0  # reconnecting
    now[0] += chat_push.GRACE - 1
    namespace.connect("tab-a")
    assert await chat_push._deliver(TOPIC) == 1
    now[0] += chat_push.GRACE * 2
    assert await chat_push._deliver(TOPIC) == 1  # the earlier absence was forgotten


async def test_typing_publishes_its_topic_at_most_every_two_seconds(namespace, monkeypatch):
    seen: list[str] = []
    hints.subscribe(seen.append)
    try:
        now = [1000.0]
        monkeypatch.setattr(chat_push.time, "monotonic", lambda: now[0])
        state, topic = tab_state("tab-a"), "typing:1:conv:client"
        for _ in range(5):
            await chat_push.typing(state, topic)
        now[0] += chat_push.TYPING_EVERY
        await chat_push.typing(state, topic)
        await chat_push.typing(tab_state("tab-b"), topic)  # another tab: its own pace
        assert seen == [topic, topic, topic]
    finally:
        hints.unsubscribe(seen.append)


async def test_a_state_driven_without_a_socket_follows_nothing(namespace):
    await chat_push.follow(tab_state(""), TOPIC, "load")
    assert await chat_push.registry().followers(TOPIC) == {}


def test_the_registry_is_in_redis_exactly_when_redis_is_configured(monkeypatch):
    from portal_app.settings import get_settings

    monkeypatch.setattr(chat_push, "_registry", None)
    monkeypatch.setattr(chat_push, "get_settings", lambda: type("S", (), {"redis_url": ""})())
    assert isinstance(chat_push.registry(), chat_push.LocalRegistry)
    monkeypatch.setattr(chat_push, "_registry", None)
    monkeypatch.setattr(chat_push, "get_settings",
                        lambda: type("S", (), {"redis_url": "redis://127.0.0.1:6379/0"})())
    assert isinstance(chat_push.registry(), chat_push.RedisRegistry)
    assert get_settings() is not None
