"""`--record PATH`: a capture of real frames for tests/unit/test_loadgen_protocol.py.

Recorded from headless Chromium (Playwright, /usr/bin/chromium) driving the production build, so the
test holds the generator's encoder against what a browser really sends:

* client: sign in at /login, land on / (a full page load: a new websocket, hydrate_and_load in the
  CONNECT packet), click Invoices, the first invoice, Documents, Files (on_load_internal over the
  same socket), then wait for the server's heartbeat ("2") and the browser's answer ("3");
* staff: sign in at /staff/login (/staff redirects to /staff/contacts), click the first contact, then
  Invoices;
* anonymous: open / without a session: the page's handler answers with a redirect to /login.

Plus one capture from the generator's own tab, which a browser cannot be made to send: a CONNECT
whose state schema does not match the backend's (the server answers "state_mismatch").
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.loadgen import protocol as p
from bench.page_load import CHROMIUM, CHROMIUM_ARGS, BenchError, log

HYDRATED = f'"{p.IS_HYDRATED}":true'
WAIT_S = 30


class Capture:
    """The frames of every websocket a page opens, in order."""

    def __init__(self, name: str):
        self.name = name
        self.sockets: list[dict] = []

    def attach(self, page) -> None:
        def on_socket(ws):
            sock = {"page": page.url, "url": ws.url.split("?", 1)[0], "frames": []}
            self.sockets.append(sock)
            t0 = time.monotonic()

            def add(direction: str, payload) -> None:
                if isinstance(payload, bytes):
                    payload = payload.decode("utf-8", "replace")
                sock["frames"].append({"dir": direction, "ms": round((time.monotonic() - t0) * 1000, 1),
                                       "frame": payload})

            ws.on("framesent", lambda payload: add("out", payload))
            ws.on("framereceived", lambda payload: add("in", payload))

        page.on("websocket", on_socket)

    def count(self, needle: str, direction: str = "in") -> int:
        return sum(needle in f["frame"] for s in self.sockets for f in s["frames"] if f["dir"] == direction)

    def as_dict(self, source: str) -> dict:
        return {"name": self.name, "source": source, "sockets": self.sockets}


def _wait(page, cond, what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        page.wait_for_timeout(50)  # Playwright dispatches the frame events while it waits
    raise BenchError(f"recording: {what} did not happen within {timeout_s:g} s (page {page.url})")


def _click_and_load(page, cap: Capture, selector: str) -> None:
    before = cap.count(HYDRATED)
    page.locator(selector).first.click()
    _wait(page, lambda: cap.count(HYDRATED) > before, f"the page after clicking {selector} loading")


def _sign_in(page, cap: Capture, base: str, login_path: str, login: str) -> None:
    email, _, password = login.partition(":")
    page.goto(base + login_path)
    _wait(page, lambda: cap.count(HYDRATED) >= 1, f"{login_path} hydrating")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    before = cap.count(HYDRATED)
    page.get_by_role("button", name="Sign in").click()
    _wait(page, lambda: cap.count(HYDRATED) > before and not page.url.startswith(base + login_path),
          f"signing in as {email}")


def browser_captures(base: str, client_login: str, staff_login: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # client journey
            cap = Capture("client: sign in, /, Invoices, an invoice, Documents, Files, heartbeat")
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            cap.attach(page)
            _sign_in(page, cap, base, "/login", client_login)
            for selector in ('a[href="/invoices"]', 'a[href^="/invoices/in_"]', 'a[href="/documents"]',
                             'a[href="/files"]'):
                _click_and_load(page, cap, selector)
            log("recording: waiting for the server's heartbeat (pingInterval 25 s)")
            _wait(page, lambda: any(f["frame"] == p.EIO_PING for f in cap.sockets[-1]["frames"] if f["dir"] == "in")
                  and any(f["frame"] == p.PONG_FRAME for f in cap.sockets[-1]["frames"] if f["dir"] == "out"),
                  "a heartbeat", 40)
            ctx.close()
            out.append(cap.as_dict(f"Chromium {browser.version}"))

            # staff journey
            cap = Capture("staff: sign in, /staff -> /staff/contacts, a contact, Invoices")
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            cap.attach(page)
            _sign_in(page, cap, base, "/staff/login", staff_login)
            _wait(page, lambda: page.url.startswith(base + "/staff/contacts") and cap.count(HYDRATED) >= 3,
                  "/staff redirecting to /staff/contacts")
            _click_and_load(page, cap, 'a[href^="/staff/contacts/"]')
            _click_and_load(page, cap, 'a[href="/staff/invoices"]')
            ctx.close()
            out.append(cap.as_dict(f"Chromium {browser.version}"))

            # anonymous: the redirect to /login
            cap = Capture("anonymous: / redirects to /login")
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            cap.attach(page)
            page.goto(base + "/")
            _wait(page, lambda: "/login" in page.url and cap.count(HYDRATED) >= 2, "the redirect to /login")
            ctx.close()
            out.append(cap.as_dict(f"Chromium {browser.version}"))
        finally:
            browser.close()
    return out


async def mismatch_capture(target, facts: dict | None) -> dict:
    import aiohttp

    from bench.loadgen.transport import RawTab

    frames: list = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        tab = RawTab(session, target, None, record=frames)
        event = p.hydrate_event("/verify", hashes=facts["hashes"] if facts else None)
        deadline = time.monotonic() + 10
        await tab.open(p.boot_auth(event, "0" * 32), deadline)
        for _ in range(100):
            update = await tab.next_update(deadline)
            if update is None or p.page_loaded(update):
                break
        await tab.close()
    t0 = frames[0]["t"] if frames else 0
    return {"name": "generator: a CONNECT with a state schema the backend does not have", "source": "bench.loadgen",
            "sockets": [{"page": target.base_url + "/verify", "url": target.ws_url("").split("?", 1)[0],
                         "frames": [{"dir": f["dir"], "ms": round((f["t"] - t0) * 1000, 1), "frame": f["frame"]}
                                    for f in frames]}]}


async def record(target, args, facts: dict | None, out: Path) -> None:
    from importlib.metadata import version

    log("recording: Chromium client, staff and anonymous journeys")
    captures = await asyncio.to_thread(browser_captures, target.base_url, args.client_login, args.staff_login)
    captures.append(await mismatch_capture(target, facts))
    doc = {
        "about": "Websocket frames between the portal's production build and a browser tab (and one from "
                 "bench.loadgen), recorded by `python -m bench.loadgen --record tests/data/reflex_frames.json`; "
                 "read by tests/unit/test_loadgen_protocol.py. Re-record after a Reflex upgrade.",
        "recorded": datetime.now(UTC).strftime("%Y-%m-%d"),
        "reflex": version("reflex"),
        "compiled": facts,
        "captures": captures,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    n = sum(len(s["frames"]) for c in captures for s in c["sockets"])
    log(f"recording: wrote {n} frames in {len(captures)} captures to {out}")
