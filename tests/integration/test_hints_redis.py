"""Live hints across processes, against the local Redis: the relay (adapters/hints.RedisRelay;
two relays in one test stand for two processes) and chat_push's Redis registry (a tab that
followed on one worker is found by another; a closed tab is dropped)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from reflex.utils.token_manager import LocalTokenManager, SocketRecord

from portal_app.adapters import hints
from portal_app.state import chat_push
from tests.support.services import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def channel():
    require_service("Redis", "127.0.0.1", 6379)
    return f"portal:hints:test-{uuid.uuid4().hex}"


class Inbox:
    def __init__(self):
        self.topics: list[str] = []
        self.cond = threading.Condition()

    def __call__(self, topic: str) -> None:
        with self.cond:
            self.topics.append(topic)
            self.cond.notify_all()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[str]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.topics) >= n, timeout), self.topics
            return list(self.topics)


def _relay(channel: str, inbox, **kw) -> hints.RedisRelay:
    relay = hints.RedisRelay(REDIS_URL, channel=channel, deliver=inbox, **kw)
    if relay.listen:
        assert relay.subscribed.wait(5), "the relay did not subscribe"
    return relay


def test_a_hint_reaches_the_other_process_once_and_in_order_and_not_its_own(channel):
    one_in, two_in = Inbox(), Inbox()
    one, two = _relay(channel, one_in), _relay(channel, two_in)
    try:
        topics = [f"chat:1:contact:{i}" for i in range(100)]
        for topic in topics:
            one.publish(topic)
        one.publish("end:one")
        assert two_in.wait_for(101) == [*topics, "end:one"]  # each once, in order
        two.publish("chat:1:staff")
        # one's own 101 went through the channel before this: had they come back, they would be first
        assert one_in.wait_for(1) == ["chat:1:staff"]
        one.publish("end:two")  # published after two's own hint passed the channel
        assert two_in.wait_for(102) == [*topics, "end:one", "end:two"]  # never its own
    finally:
        one.stop()
        two.stop()


def test_a_publishing_only_process_reaches_the_app(channel):
    app_in = Inbox()
    app = _relay(channel, app_in)
    worker = _relay(channel, Inbox(), listen=False)  # `cli worker`: hints of its jobs
    try:
        worker.publish("chat:1:staff")
        assert app_in.wait_for(1) == ["chat:1:staff"]
    finally:
        app.stop()
        worker.stop()


def test_start_redis_relay_sends_every_local_hint(channel, monkeypatch):
    monkeypatch.setattr(hints, "CHANNEL", channel)
    other_in = Inbox()
    other = _relay(hints.channel_for(REDIS_URL), other_in)
    local = Inbox()
    hints.subscribe(local)
    try:
        relay = hints.start_redis_relay(REDIS_URL)
        assert hints.start_redis_relay(REDIS_URL) is relay  # once per process
        assert relay.subscribed.wait(5)
        hints.publish("chat:7:staff")
        assert other_in.wait_for(1) == ["chat:7:staff"]
        assert local.topics == ["chat:7:staff"]  # here: delivered locally once
        other.publish("chat:7:contact:1")  # another process's hint is delivered here
        # ours passed the channel before it: had it come back via Redis, it would be second here
        assert local.wait_for(2) == ["chat:7:staff", "chat:7:contact:1"]
    finally:
        hints.unsubscribe(local)
        hints.stop_redis_relay()
        other.stop()


def test_a_relay_survives_an_unreadable_message(channel):
    import redis

    inbox = Inbox()
    relay = _relay(channel, inbox)
    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.publish(channel, b"not json")
        client.publish(channel, b'{"from": "elsewhere", "topic": "chat:1:staff"}')
        client.close()
        assert inbox.wait_for(1) == ["chat:1:staff"]
    finally:
        relay.stop()


# --- chat_push with the Redis registry: two workers ---------------------------------------

class Namespace:
    def __init__(self, manager):
        self._token_manager = manager
        self.sent: list[tuple[str, list[str]]] = []

    async def emit_update(self, update, token: str) -> None:
        self.sent.append((token, [e.name for e in update.events]))


class Connected(LocalTokenManager):
    """A token manager that knows which tokens are connected somewhere (RedisTokenManager
    asks Redis; these tests are about the follow registry, not Reflex's socket records)."""

    def __init__(self, everywhere: set[str]):
        super().__init__()
        self.everywhere = everywhere

    async def is_token_connected(self, token: str) -> bool:
        return token in self.token_to_socket or token in self.everywhere


async def test_the_redis_registry_is_shared_by_the_workers(monkeypatch):
    require_service("Redis", "127.0.0.1", 6379)
    from tests.support.states import tab_state

    topic = f"chat:test-{uuid.uuid4().hex}:staff"
    everywhere = {"tab-1", "tab-2"}
    one, two = Connected(everywhere), Connected(everywhere)
    one.token_to_socket["tab-1"] = SocketRecord(instance_id=one.instance_id, sid="s1")
    two.token_to_socket["tab-2"] = SocketRecord(instance_id=two.instance_id, sid="s2")
    ns_one, ns_two = Namespace(one), Namespace(two)
    reg_one, reg_two = chat_push.RedisRegistry(REDIS_URL), chat_push.RedisRegistry(REDIS_URL)
    try:
        monkeypatch.setattr(chat_push, "_registry", reg_one)
        monkeypatch.setattr(chat_push, "_event_namespace", lambda: ns_one)
        await chat_push.follow(tab_state("tab-1"), topic, "load")
        await chat_push.follow(tab_state("tab-gone"), topic, "load")
        monkeypatch.setattr(chat_push, "_registry", reg_two)
        monkeypatch.setattr(chat_push, "_event_namespace", lambda: ns_two)
        await chat_push.follow(tab_state("tab-2"), topic, "load")  # followed on worker 2
        assert 0 < await reg_one.redis.ttl(chat_push.RedisRegistry.key(topic)) <= chat_push.TTL

        # the same hint reaches both workers (the relay): each tells its own tab, once
        monkeypatch.setattr(chat_push, "_registry", reg_one)
        monkeypatch.setattr(chat_push, "_event_namespace", lambda: ns_one)
        assert await chat_push._deliver(topic) == 1
        monkeypatch.setattr(chat_push, "_registry", reg_two)
        monkeypatch.setattr(chat_push, "_event_namespace", lambda: ns_two)
        assert await chat_push._deliver(topic) == 1
        assert [t for t, _ in ns_one.sent] == ["tab-1"] and [t for t, _ in ns_two.sent] == ["tab-2"]
        assert ns_one.sent[0][1][0].endswith("___home____home_state.load")

        # tab-1 reconnects to worker 2: worker 2 tells it now
        del one.token_to_socket["tab-1"]
        two.token_to_socket["tab-1"] = SocketRecord(instance_id=two.instance_id, sid="s3")
        one.token_to_socket["tab-1"] = SocketRecord(instance_id=two.instance_id, sid="s3")
        assert await chat_push._deliver(topic) == 2

        # the closed tab is dropped after the grace, by whichever worker sees it gone
        monkeypatch.setattr(chat_push, "GRACE", 0.0)
        await chat_push._deliver(topic)
        followers = await reg_two.followers(topic)
        assert sorted(f.split()[0] for f in followers) == ["tab-1", "tab-2"]
    finally:
        await reg_one.redis.delete(chat_push.RedisRegistry.key(topic))
        await reg_one.redis.aclose()
        await reg_two.redis.aclose()
        chat_push.stop()
        await asyncio.sleep(0)


def test_another_process_publishing_like_cli_worker_reaches_this_one():
    """A real second process (as `cli worker` does: start_redis_relay(listen=False), publish,
    stop_redis_relay flushing on exit) on the real channel."""
    import subprocess
    import sys

    require_service("Redis", "127.0.0.1", 6379)
    topic = f"chat:test-{uuid.uuid4().hex}:staff"
    inbox = Inbox()
    here = _relay(hints.channel_for(REDIS_URL), lambda t: inbox(t) if t == topic else None)
    try:
        code = ("from portal_app.adapters import hints\n"
                f"hints.start_redis_relay({REDIS_URL!r}, listen=False)\n"
                f"hints.publish({topic!r})\n"
                "hints.stop_redis_relay()\n")
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        assert inbox.wait_for(1) == [topic]
    finally:
        here.stop()


def test_the_channel_is_per_redis_database():
    """Pub/sub channels are one namespace per Redis server: a deployment on database 3 must not
    hear one on database 0 (their workspace ids would collide)."""
    assert hints.channel_for("redis://127.0.0.1:6379/3") == "portal:hints:3"
    assert hints.channel_for("redis://127.0.0.1:6379") == "portal:hints:0"
    assert hints.channel_for("redis://:secret@redis.internal:6380/12") == "portal:hints:12"
    assert hints.channel_for("redis://127.0.0.1:6379/0") != hints.channel_for("redis://127.0.0.1:6379/3")
