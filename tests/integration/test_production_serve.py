"""The production start as the README gives it: `python -m portal_app.cli serve` with PostgreSQL,
Redis and two workers, in a subprocess from a copy of the app (its build never touches the
working tree's .web/, but reuses the working tree's build when it is current, e.g. after
`make serve`, and its installed frontend packages).

Checked over HTTP and a real websocket: two worker processes, a page from the app (with its CSP
nonce), a bundle from granian's static mount (its headers, not the app's), every bundle the page
names present in that mount, and event round trips -- a signed-in tab's hydrate that reads the
database, then a further event -- through Redis-held state.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from portal_app import serve
from tests.support.app_copy import copy_app
from tests.support.browser import ROOT
from tests.support.services import free_port, make_pg_database, require_service, service_up

REDIS_URL = "redis://127.0.0.1:6379/6"


def _built_port() -> int | None:
    """The port the working tree's build was made for, if that build is current and the port free."""
    try:
        port = int(json.loads((ROOT / ".web" / "build" / serve.STAMP).read_text())["port"])
    except (OSError, ValueError, KeyError):
        return None
    if serve.build_digest(ROOT, port) != json.loads((ROOT / ".web" / "build" / serve.STAMP).read_text())["digest"]:
        return None
    return None if service_up("127.0.0.1", port) else port


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    tmp = tmp_path_factory.mktemp("serve")
    port = _built_port()
    app = copy_app(tmp, keep_build=port is not None)
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_REDIS"))}
    env.update({
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "PORTAL_PORT": str(port), "PORTAL_BASE_URL": f"http://localhost:{port}", "PORTAL_DEMO": "1",
        "PORTAL_DATABASE_URL": make_pg_database("portal_serve"), "REFLEX_REDIS_URL": REDIS_URL,
        "PORTAL_WORKERS": "2", "PORTAL_STORAGE_DIR": str(tmp / "files"),
        "PORTAL_SECRET_KEY_FILE": str(tmp / "secret.key"), "PORTAL_STRIPE_API_BASE": "http://127.0.0.1:9",
    })
    for cmd in ("migrate", "seed"):
        subprocess.run([sys.executable, "-m", "portal_app.cli", cmd], cwd=app, env=env, check=True,
                       capture_output=True, timeout=300)
    log_path = tmp / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "portal_app.cli", "serve", "--host", "127.0.0.1"], cwd=app,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 600  # a first build, then each worker imports the app
        while True:
            assert proc.poll() is None, f"serve exited:\n{log_path.read_text()[-3000:]}"
            try:
                if httpx.get(base + "/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"serve did not come up:\n{log_path.read_text()[-3000:]}"
            time.sleep(1)
        yield {"base": base, "proc": proc, "app": app, "log": log_path}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(int(entry))
    return found


def test_two_workers_a_page_from_the_app_and_bundles_from_granian(production):
    base, app = production["base"], production["app"]
    assert len(_children(production["proc"].pid)) == 2, production["log"].read_text()[-2000:]

    page = httpx.get(base + "/staff/login", follow_redirects=True, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "'nonce-" in page.headers["content-security-policy"]  # the app's SecurityHeaders rewrote it
    assert page.headers["x-content-type-options"] == "nosniff"

    client = app / ".web" / "build" / "client"
    named = sorted(set(re.findall(r'"(/assets/[^"]+)"', page.text)))
    assert named, "the page names no bundle"
    for path in named:  # granian's mount holds every bundle the page asks for
        assert (client / path.lstrip("/")).is_file(), path
    for _, folder in serve.static_mounts(client):
        assert folder.is_dir()

    bundle = next(p for p in named if p.endswith(".js"))
    got = httpx.get(base + bundle, headers={"accept-encoding": "gzip"}, timeout=30)
    assert got.status_code == 200
    assert got.content == (client / bundle.lstrip("/")).read_bytes()
    assert got.headers["content-type"] == "text/javascript"
    # granian's answer, not the app's (which sends an etag and our security headers, no max-age)
    assert got.headers["cache-control"] == f"max-age={serve.ASSET_MAX_AGE}"
    assert "etag" not in got.headers and "content-security-policy" not in got.headers
    assert httpx.get(base + "/assets/no-such-bundle.js", timeout=30).status_code == 404
    assert httpx.get(base + "/ping", timeout=30).status_code == 200  # the app's own paths still reach it


async def _tab(base: str, path: str, cookie: str | None) -> tuple[list[str], list[str]]:
    """A tab: connect with the page's hydrate (as the frontend does) until it is hydrated, then one
    event of the same tree (the Invoices page's load, as after a click on its link). Returns what
    each brought."""
    import socketio
    from reflex.state import State
    from reflex_base.utils.format import format_event_handler

    from portal_app.state.portal.invoices import ClientInvoicesState

    received: list[str] = []
    arrived = asyncio.Event()
    sio = socketio.AsyncClient(reconnection=False)

    async def on_event(data) -> None:
        received.append(data if isinstance(data, str) else json.dumps(data, default=str))
        arrived.set()

    async def until(done) -> None:
        deadline = time.monotonic() + 60
        while not done():
            assert time.monotonic() < deadline, received
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), timeout=60)

    sio.on("event", on_event, namespace="/_event")
    router = {"pathname": path, "query": {}, "asPath": path}
    headers = {"Origin": base}
    if cookie:
        headers["Cookie"] = f"portal_session={cookie}"
    await sio.connect(f"{base}?token={secrets.token_hex(16)}", socketio_path="/_event", transports=["websocket"],
                      headers=headers, namespaces=["/_event"], wait_timeout=15,
                      auth={"event": {"name": format_event_handler(State.event_handlers["hydrate_and_load"]),
                                      "payload": {}, "router_data": router}})
    try:
        await until(lambda: any('"is_hydrated_rx_state_": true' in r for r in received))
        hydrate = list(received)
        invoices = {"pathname": "/invoices", "query": {}, "asPath": "/invoices"}
        await sio.call("event", {"name": format_event_handler(ClientInvoicesState.event_handlers["load"]),
                                 "payload": {}, "router_data": invoices}, namespace="/_event", timeout=30)
        await until(lambda: any('"loaded_rx_state_": true' in r for r in received[len(hydrate):]))
        return hydrate, received[len(hydrate):]
    finally:
        await sio.disconnect()


def test_a_signed_in_tab_round_trips_events_through_redis(production):
    base = production["base"]
    signed_in = httpx.post(base + "/api/auth/client/login", headers={"Origin": base},
                           data={"email": "client@demo.example", "password": "casey-client-1"}, timeout=30)
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.cookies["portal_session"]
    for _ in range(4):  # several tabs: the kernel hands their sockets to either worker
        hydrate, event = asyncio.run(_tab(base, "/", cookie))
        greeting = [v["greeting_name_rx_state_"] for r in hydrate for v in json.loads(r)["delta"].values()
                    if "greeting_name_rx_state_" in v][-1]  # (the first is the fresh tree's default)
        assert greeting == "Casey", hydrate  # the page's on_load read the database, signed in by the cookie
        assert any('"loaded_rx_state_": true' in r and "INV-" in r for r in event), event
