"""The real ASGI app (`portal_app.portal_app.app()`: Reflex's backend with every api_transformer,
the frontend mount of a production build included), compiled once per test session into a
temporary web folder, and a granian server for it in a thread (granian offers the
`http.response.pathsend` extension a production server uses for static files).

The frontend build itself is not run here (that is the e2e fixture's job): a stand-in
`404.html` sits where the build puts it, which is all the static mount needs.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND_PAGE = (b"<!doctype html><html><head><script>window.missing=1</script></head>"
                  b"<body><h1>404: Page not found</h1></body></html>")

_built: dict = {}


def build_real_app(tmp_root: Path):
    """Compile the app once (about five seconds) and return its ASGI callable."""
    if "app" in _built:
        return _built["app"]
    web = tmp_root / "web"
    static = web / "build" / "client"
    static.mkdir(parents=True)
    saved = {k: os.environ.get(k) for k in ("REFLEX_WEB_WORKDIR", "__REFLEX_MOUNT_FRONTEND_COMPILED_APP",
                                            "REFLEX_USE_SYSTEM_BUN", "PATH")}
    os.environ.update({
        "REFLEX_WEB_WORKDIR": str(web), "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "1", "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
    })
    try:
        import portal_app.portal_app as module

        asgi = module.app()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    (static / "404.html").write_bytes(NOT_FOUND_PAGE)
    _built["app"] = asgi
    return asgi


class Served:
    """granian serving an ASGI app on a free port in a thread. Without lifespan by default
    (enough for plain HTTP routes); `lifespan=True` runs the app's lifespan tasks -- Reflex's
    event processor among them -- so websocket events and `/_upload` are processed. The
    server's event loop is `self.loop` (`call` runs a coroutine on it)."""

    def __init__(self, app, *, lifespan: bool = False):
        from granian.constants import Interfaces
        from granian.server.embed import Server

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = Server(app, address="127.0.0.1", port=self.port,
                             interface=Interfaces.ASGI if lifespan else Interfaces.ASGINL, log_enabled=False)
        self.loop = asyncio.new_event_loop()
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="granian-real-app", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve())
        except BaseException as exc:
            self.failure.append(exc)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{self.url}/ping", timeout=2)
                return self
            except httpx.HTTPError:
                pass
            if self.failure or time.monotonic() > deadline:
                pytest.fail(f"the app server did not start on {self.url}: {self.failure}")
            time.sleep(0.05)

    def call(self, coro, timeout: float = 30):
        """Run a coroutine on the server's own loop (e.g. to read a tab's server-side state)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(15)
        assert not self.thread.is_alive(), "the app server did not stop"
        self.loop.close()
