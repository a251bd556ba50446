"""Chat latency and memory with many open conversations (issue 15), on a freshly started app.

    .venv/bin/python bench/chat_latency.py [--config embedded|production] [--clients 200] [--staff 3]
                                           [--messages 100] [--json out.json]

What it does, bounded and on loopback only:

1. A fresh app as bench/loadgen/launch.py prepares one (a temporary copy, migrated, the demo seeded;
   production: its own PostgreSQL database and Redis database number), then a set-up step through
   the services: chat switched on, `--clients` contacts each with an active client account, a
   conversation and a session, `--staff` staff sessions of the owner.
2. The server: `python -m portal_app.cli serve --build never` (granian; production: PORTAL_WORKERS=2
   with Redis, embedded: one worker, SQLite, no Redis), backend only -- no frontend build (a stand-in
   `build/client` with a 404 page, as tests/support/real_app.py does): sockets need none. The per-sender
   chat rate limit (20/min) is lifted in the server process (set before granian forks its workers):
   a bench sends far more than a person.
3. Sockets speaking Reflex's protocol (python-socketio, as tests/support/live_tabs.py): the staff tabs
   open /staff/inbox (InboxState.load follows the workspace topic); then the client tabs open "/" and
   load the widget (ChatState.load follows their contact topic), the app's RSS (every process of the
   server) read before, after half and after all of them: RSS growth per 100 open portal tabs.
   Every tab behaves as the browser does with a pushed event: it sends it back (state.js queueEvents).
4. Latency, client → staff: a client tab sends (ChatState.send); the time from that send frame to the
   first staff tab's delta containing the message (its inbox list, re-read by the pushed on_hint).
   Staff → client: a staff tab opens the conversation (InboxState.load on /staff/inbox/<id>), sends
   (InboxState.send); the time to the client tab's delta containing it (ChatState.on_hint, pushed).
   `--messages` of each, `--staff` in flight at a time; p50/p95/p99/max, and how many did not arrive
   within `--timeout` s.

The same harness (Server, Tab) serves tests/integration/test_chat_two_workers.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import launch
from bench.page_load import PYTHON, BenchError, kill_group, log, run_step, tail

NAMESPACE = "/_event"
IS_HYDRATED = '"is_hydrated_rx_state_": true'
MARK = re.compile(r"m\d+x[0-9a-f]{6}")

SERVER_CODE = (
    "import sys\n"
    "import portal_app.services.conversations.messages as m\n"
    "m.RATE.limit = 10 ** 9  # a bench sends far more than a person (forked workers inherit it)\n"
    "from portal_app.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)

SETUP_CODE = r'''
import json, sys
from sqlmodel import select
from portal_app.db import unit_of_work
from portal_app.models import ClientAccount, ClientStatus, StaffUser, utcnow
from portal_app.services.accounts.auth import start_client_session, start_staff_session
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.conversations import threads
from portal_app.services.portal.portal_settings import SECTIONS, portal_settings_for, update_portal_settings
from portal_app.services.portal.workspaces import owner_actor
from portal_app.services.security import hash_password

n_clients, n_staff = int(sys.argv[1]), int(sys.argv[2])
out = {"clients": [], "staff": []}
with unit_of_work() as db:
    owner = db.exec(select(StaffUser).where(StaffUser.email == "owner@demo.example")).one()
    staff = owner_actor(owner)
    current = portal_settings_for(db, owner.workspace_id)
    update_portal_settings(db, staff, portal_title=current.portal_title, accent_color=current.accent_color,
                           brand_primary=None, brand_secondary=None, sections=dict.fromkeys(SECTIONS, True),
                           chat_widget=True)
    hashed = hash_password("bench-chat-" + "x" * 8)
    for i in range(n_clients):
        contact = create_contact(db, staff, {"first_name": f"Chat{i:03d}", "last_name": "Bench",
                                             "email": f"chat{i:03d}@bench.example"})
        account = ClientAccount(workspace_id=owner.workspace_id, contact_id=contact.id,
                                status=ClientStatus.active.value, password_hash=hashed, activated_at=utcnow())
        db.add(account)
        db.flush()
        conv = threads.start_for_contact(db, staff, contact.public_id)
        out["clients"].append({"cookie": start_client_session(db, account), "conv": conv.public_id})
    out["staff"] = [start_staff_session(db, owner) for _ in range(n_staff)]
    db.commit()
print("CHAT-SETUP " + json.dumps(out))
'''


# --- the server ------------------------------------------------------------------------------

@dataclass
class Server:
    config: str
    app: launch.App
    workers: int
    proc: subprocess.Popen | None = None
    setup: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    @property
    def host(self) -> str:
        return f"localhost:{self.app.port}"

    @property
    def redis_url(self) -> str:
        return self.app.env.get("REFLEX_REDIS_URL", "")

    def rss_kb(self) -> int:
        """Resident memory of every process of the server (the supervisor and its workers)."""
        from bench.loadgen import procstat

        assert self.proc is not None
        return sum(procstat.rss_kb(pid) or 0 for pid in procstat.tree(self.proc.pid))

    def worker_pids(self) -> list[int]:
        from bench.loadgen import procstat

        assert self.proc is not None
        return [pid for pid in procstat.tree(self.proc.pid) if pid != self.proc.pid]

    async def worker_of(self, token: str) -> str:
        """The instance id of the worker holding this tab's socket (Reflex's RedisTokenManager record)."""
        from redis.asyncio import Redis

        client = Redis.from_url(self.redis_url)
        try:
            for _ in range(200):
                raw = await client.get(f"token_manager_socket_record_{token}")
                if raw:
                    return pickle.loads(raw).instance_id  # Reflex's own record, local Redis
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()
        raise AssertionError(f"no socket record for tab {token} in Redis")

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        self.app.stop()


def start_server(config: str, tmp: Path, *, clients: int, staff: int, timeout: float = 300) -> Server:
    port = launch_port()
    app = launch.prepare(config, tmp, port, timeout=timeout)
    server = Server(config, app, workers=2 if config == "production" else 1)
    try:
        client_dir = app.app_dir / ".web" / "build" / "client"
        (client_dir / "assets").mkdir(parents=True, exist_ok=True)
        (client_dir / "404.html").write_bytes(b"<!doctype html><title>404</title><h1>404: Page not found</h1>")
        script = app.app_dir / "chat_bench_setup.py"  # beside portal_app/: it imports it
        script.write_text(SETUP_CODE)
        out = run_step([str(PYTHON), str(script), str(clients), str(staff)], app.app_dir, app.env, timeout,
                       tmp / "setup.log")
        line = next(x for x in out.splitlines() if x.startswith("CHAT-SETUP "))
        server.setup = json.loads(line.split(" ", 1)[1])
        env = dict(app.env, PORTAL_WORKERS=str(server.workers))
        cmd = [str(PYTHON), "-c", SERVER_CODE, "serve", "--build", "never", "--host", "127.0.0.1",
               "--port", str(port)]
        log(f"$ python -m portal_app.cli serve --build never --port {port}   (PORTAL_WORKERS={server.workers}, "
            f"{'Redis + PostgreSQL' if config == 'production' else 'SQLite, no Redis'})")
        with open(app.logfile, "ab") as logf:
            server.proc = subprocess.Popen(cmd, cwd=app.app_dir, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if server.proc.poll() is not None:
                raise BenchError(f"the server exited {server.proc.returncode}; log {app.logfile}:\n{tail(app.logfile)}")
            try:
                with urllib.request.urlopen(f"{server.url}/ping", timeout=3) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the server does not answer /ping; log {app.logfile}:\n{tail(app.logfile)}")
            time.sleep(0.5)
        # every worker up (granian answers from the first one ready)
        while len(server.worker_pids()) < server.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
    except BaseException:
        server.stop()
        raise
    return server


def launch_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a tab -----------------------------------------------------------------------------------

def handler(state_cls, name: str) -> str:
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(state_cls.event_handlers[name])


def _router(path: str) -> dict:
    return {"pathname": path, "query": {}, "asPath": path}


@dataclass
class Tab:
    """A browser tab: a Socket.IO connection to /_event under its token, Host and Cookie in the
    upgrade request, the page's hydrate in the CONNECT packet; pushed events are sent back as
    the browser does. Every frame is kept with its arrival time (time.monotonic())."""

    server: Server
    cookie: str
    path: str
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    frames: list[tuple[float, str]] = field(default_factory=list)
    pushes: int = 0
    echo: bool = True
    last_send: float = 0.0  # time.monotonic() of the tab's last own event (not an echo of a push)

    async def open(self, timeout: float = 30) -> Tab:
        import socketio
        from reflex.state import State

        self._client = socketio.AsyncClient(reconnection=False)
        self._changed = asyncio.Event()

        async def on_event(data):
            text = data if isinstance(data, str) else json.dumps(data, default=str)
            self.frames.append((time.monotonic(), text))
            self._changed.set()
            events = (data if isinstance(data, dict) else json.loads(text)).get("events") or []
            for ev in events:
                name = ev.get("name", "")
                if name.endswith(".on_hint"):
                    self.pushes += 1
                if self.echo and name and not name.split(".")[-1].startswith("_"):
                    asyncio.ensure_future(self._send_raw({**ev, "router_data": _router(self.path)}))

        self._client.on("event", on_event, namespace=NAMESPACE)
        headers = {"Host": self.server.host, "Cookie": f"portal_session={self.cookie}"}
        hydrate = {"name": handler(State, "hydrate_and_load"), "payload": {}, "router_data": _router(self.path)}
        start = len(self.frames)
        await self._client.connect(f"{self.server.url}?token={self.token}", socketio_path="/_event",
                                   transports=["websocket"], headers=headers, auth={"event": hydrate},
                                   namespaces=[NAMESPACE], wait_timeout=timeout)
        await self.until(lambda text: IS_HYDRATED in text, start, timeout, "hydrated")
        return self

    async def _send_raw(self, event: dict) -> None:
        try:
            await self._client.emit("event", event, namespace=NAMESPACE)
        except Exception:  # a closed tab drops its echo, as a browser would
            pass

    async def send(self, state_cls, name: str, path: str | None = None, **payload) -> float:
        """Send an event as the page does; returns the time of the send frame."""
        if path is not None:
            self.path = path
        t0 = self.last_send = time.monotonic()
        await self._client.emit("event", {"name": handler(state_cls, name), "payload": payload,
                                          "router_data": _router(self.path)}, namespace=NAMESPACE)
        return t0

    async def until(self, match, start: int, timeout: float, what: str) -> tuple[float, str]:
        """The first frame from index `start` on for which match(text) is true: (arrival, text)."""
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.frames):
                at, text = self.frames[i]
                if match(text):
                    return at, text
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"tab {self.token[:8]} ({self.path}): not within {timeout} s: {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    def last_var(self, var: str) -> list | None:
        """The newest value of a var (any state) in the frames received so far."""
        key = var + "_rx_state_"
        for _at, text in reversed(self.frames):
            if key not in text:
                continue
            delta = json.loads(text).get("delta") or {}
            for values in delta.values():
                if key in values:
                    return values[key]
        return None

    async def close(self) -> None:
        await self._client.disconnect()


def marks(items: list | None) -> list[str]:
    """The message markers in a list of messages, in list order."""
    return [found.group(0) for item in items or [] if (found := MARK.search(json.dumps(item)))]


def new_mark(i: int) -> str:
    return f"m{i}x{secrets.token_hex(3)}"


def delta_with(mark: str):
    return lambda text: mark in text and '"delta"' in text


# --- the bench -------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50": round(pct(ms, 50), 1), "p95": round(pct(ms, 95), 1),
            "p99": round(pct(ms, 99), 1), "max": round(max(ms), 1)}


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


async def run_bench(server: Server, n_messages: int, timeout: float) -> dict:
    from portal_app.state.portal.chat import ChatState
    from portal_app.state.staff.inbox import InboxState

    setup = server.setup
    result: dict = {"config": server.config, "workers": server.workers, "clients": len(setup["clients"]),
                    "staff_tabs": len(setup["staff"]), "load_before": machine_load()}
    staff = [await Tab(server, cookie, "/staff/inbox").open() for cookie in setup["staff"]]
    rss0 = server.rss_kb()
    clients: list[Tab] = []
    sem = asyncio.Semaphore(10)

    async def open_client(entry: dict) -> Tab:
        async with sem:
            tab = await Tab(server, entry["cookie"], "/").open()
            start = len(tab.frames)
            await tab.send(ChatState, "load")
            await tab.until(lambda text: '"enabled_rx_state_": true' in text, start, 30, "the widget loaded")
            return tab

    half = len(setup["clients"]) // 2
    t0 = time.monotonic()
    clients += await asyncio.gather(*(open_client(e) for e in setup["clients"][:half]))
    await asyncio.sleep(2)
    rss_half = server.rss_kb()
    clients += await asyncio.gather(*(open_client(e) for e in setup["clients"][half:]))
    result["open_s"] = round(time.monotonic() - t0, 1)
    await asyncio.sleep(2)
    rss_all = server.rss_kb()
    per_100 = (rss_all - rss0) / max(1, len(clients)) * 100
    result["rss_mb"] = {"staff_tabs_only": round(rss0 / 1024, 1), f"+{half}_tabs": round(rss_half / 1024, 1),
                        f"+{len(clients)}_tabs": round(rss_all / 1024, 1),
                        "growth_per_100_tabs": round(per_100 / 1024, 1)}
    if server.redis_url:
        per_worker: dict[str, int] = {}
        for tab in clients + staff:
            wid = await server.worker_of(tab.token)
            per_worker[wid] = per_worker.get(wid, 0) + 1
        result["tabs_per_worker"] = sorted(per_worker.values(), reverse=True)

    to_staff: list[float] = []
    to_client: list[float] = []
    lost = {"to_staff": 0, "to_client": 0}
    in_flight = max(1, len(staff))

    async def client_to_staff(i: int) -> None:
        tab = clients[i % len(clients)]
        mark = new_mark(i)
        starts = [len(s.frames) for s in staff]
        sent = await tab.send(ChatState, "send", form_data={"body": f"client {mark}"})
        waits = [asyncio.ensure_future(s.until(delta_with(mark), st, timeout, mark)) for s, st in zip(staff, starts, strict=True)]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED, timeout=timeout)
        arrived = [w.result()[0] for w in done if not w.exception()]
        for w in pending:
            w.cancel()
        if arrived:
            to_staff.append(min(arrived) - sent)
        else:
            lost["to_staff"] += 1

    async def staff_to_client(k: int, i: int) -> None:
        s = staff[k]
        entry_i = i % len(clients)
        conv, tab = setup["clients"][entry_i]["conv"], clients[entry_i]
        start = len(s.frames)
        await s.send(InboxState, "load", path=f"/staff/inbox/{conv}")
        try:
            await s.until(lambda text: conv in text and '"delta"' in text, start, timeout, "thread opened")
        except TimeoutError:
            lost["to_client"] += 1
            return
        mark = new_mark(i)
        start = len(tab.frames)
        sent = await s.send(InboxState, "send", form={"body": f"staff {mark}"})
        try:
            at, _ = await tab.until(delta_with(mark), start, timeout, mark)
            to_client.append(at - sent)
        except TimeoutError:
            lost["to_client"] += 1

    t0 = time.monotonic()
    for base in range(0, n_messages, in_flight):
        await asyncio.gather(*(client_to_staff(i) for i in range(base, min(n_messages, base + in_flight))))
    for base in range(0, n_messages, in_flight):
        await asyncio.gather(*(staff_to_client(k, i) for k, i in enumerate(range(base, min(n_messages, base + in_flight)))))
    result["exchange_s"] = round(time.monotonic() - t0, 1)
    result["client_to_staff_ms"] = summary(to_staff)
    result["staff_to_client_ms"] = summary(to_client)
    result["not_arrived"] = lost
    result["load_after"] = machine_load()
    for tab in clients + staff:
        await tab.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=launch.CONFIGS, default="embedded")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--staff", type=int, default=3)
    parser.add_argument("--messages", type=int, default=100, help="messages of each direction")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a message may take before it counts as lost")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 1000 and 1 <= args.staff <= 20 and 1 <= args.messages <= 5000):
        parser.error("--clients 1..1000, --staff 1..20, --messages 1..5000")
    with tempfile.TemporaryDirectory(prefix="portal-chat-bench-") as tmp:
        server = start_server(args.config, Path(tmp), clients=args.clients, staff=args.staff)
        try:
            result = asyncio.run(run_bench(server, args.messages, args.timeout))
        finally:
            server.stop()
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
