"""Browser tabs over real sockets, for the live authorization matrix.

A `Tab` is what a browser tab is to the server: a Socket.IO connection to Reflex's `/_event`
namespace under its own tab token (`?token=`), carrying the Host and Cookie headers in its
websocket upgrade request (the server reads the actor from those, docs/design.md §3), that
hydrates a page (`hydrate_and_load` in the connect packet, as the frontend does: the page's
on_load runs with it), sends events, and keeps every message the server sent it. `upload`
posts a real multipart body to `/_upload` under the tab's token with whatever cookie the
caller chooses, and keeps the response.

The server is the real ASGI app in this process (real_app.Served with lifespan), so a test
can also wait until Reflex's event processor is idle and read a tab's server-side state
(`_outcome`, the tree a hydrate would send) on the server's own loop.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

import httpx

NAMESPACE = "/_event"
# python-socketio waits 1 s for the namespace by default: too short on a busy CI machine, where the
# server's connect handler (it runs the hydrate) can take longer; then connect() fails with
# "Unexpected connection error" although the server would have answered
CONNECT_WAIT = 15


def handler_name(state_cls, name: str) -> str:
    from reflex_base.utils.format import format_event_handler

    return format_event_handler(state_cls.event_handlers[name])


def _hydrate_name() -> str:
    from reflex.state import State

    return handler_name(State, "hydrate_and_load")


def _router(path: str) -> dict:
    pathname, _, query = path.partition("?")
    params = {}
    for part in filter(None, query.split("&")):
        k, _, v = part.partition("=")
        params[k] = v
    return {"pathname": pathname, "query": params, "asPath": path}


@dataclass
class Upload:
    status: int
    body: str


@dataclass
class Tab:
    served: object
    host: str
    cookie: str | None
    path: str
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    received: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    async def open(self, timeout: float = 20) -> Tab:
        import socketio

        self._client = socketio.AsyncClient(reconnection=False)
        first = asyncio.Event()

        async def on_event(data):
            self.received.append(data if isinstance(data, str) else json.dumps(data, default=str))
            first.set()

        self._client.on("event", on_event, namespace=NAMESPACE)
        # no Origin: a raw client need not send one (the origin check has tests of its own)
        headers = {"Host": self.host}
        if self.cookie:
            headers["Cookie"] = f"other=1; portal_session={self.cookie}"
        hydrate = {"name": _hydrate_name(), "payload": {}, "router_data": _router(self.path)}
        await self._client.connect(f"{self.served.url}?token={self.token}", socketio_path="/_event",
                                   transports=["websocket"], headers=headers, auth={"event": hydrate},
                                   namespaces=[NAMESPACE], wait_timeout=CONNECT_WAIT)
        await asyncio.wait_for(first.wait(), timeout)
        await self.idle()
        return self

    async def emit(self, state_cls, name: str, **payload) -> None:
        # call(), not emit(): Socket.IO acknowledges once the server's handler has returned, and
        # Reflex's handler returns once the event is queued, so the idle check below cannot run
        # before the server has the event (a fixed sleep could, on a loaded machine)
        await self._client.call("event", {"name": handler_name(state_cls, name), "payload": payload,
                                          "router_data": _router(self.path)}, namespace=NAMESPACE, timeout=20)
        await self.idle()

    async def upload(self, state_cls, name: str, files: list[tuple[str, bytes, str]], *,
                     cookie: str | None | bool = True) -> Upload:
        """POST /_upload under this tab's token; `cookie=True` sends the tab's own cookie,
        None/False none, a string that session token instead."""
        chosen = self.cookie if cookie is True else (cookie or None)
        headers = {"Host": self.host, "reflex-client-token": self.token,
                   "reflex-event-handler": handler_name(state_cls, name)}
        if chosen:
            headers["Cookie"] = f"portal_session={chosen}"
        # httpx's sync client writes a small request in one go. Its async client sends the
        # head, then the body: granian may then answer a refusal made from the head alone
        # (UploadGuard's 403) and close the connection with the body unread, and the client
        # sees a reset instead of the 403 (see the report of the live matrix's branch).
        resp = await asyncio.to_thread(httpx.post, self.served.url + "/_upload", headers=headers,
                                       files=[("files", f) for f in files], timeout=60)
        got = Upload(resp.status_code, resp.text)
        self.uploads.append(got)
        await self.idle()  # the response streams the handler's updates: it ends when the handler has
        return got

    async def idle(self, timeout: float = 20) -> None:
        await asyncio.to_thread(wait_idle, self.served, timeout)

    def seen(self) -> str:
        """Everything the server sent this tab: socket messages and upload responses."""
        return "\n".join([*self.received, *(u.body for u in self.uploads)])

    async def close(self) -> None:
        await self._client.disconnect()

    # --- the server's side of this tab ---------------------------------------------------

    def server_state(self) -> tuple[str, str]:
        """(the last handler's `_outcome`, the whole tree as a hydrate would send it)."""
        return self.served.call(_read_tree(self.token))

    def server_vars(self, state_cls) -> dict:
        """One substate's vars on the server, backend vars included."""
        return self.served.call(_read_vars(self.token, state_cls))


def _app():
    import portal_app.portal_app as module

    return module.app


async def _read_tree(token: str):
    from reflex.istate.manager.token import BaseStateToken

    from portal_app.state.base import BaseState
    from portal_app.state.session_guard import app_state_classes

    root = await _app().state_manager.get_state(BaseStateToken(ident=token, cls=BaseState))
    for cls in app_state_classes():  # load every substate, as a hydrate's dict() would show
        await root.get_state(cls)
    base = await root.get_state(BaseState)
    return base._outcome, json.dumps(root.dict(), default=str)


async def _read_vars(token: str, state_cls) -> dict:
    from reflex.istate.manager.token import BaseStateToken

    root = await _app().state_manager.get_state(BaseStateToken(ident=token, cls=state_cls))
    state = await root.get_state(state_cls)
    return {name: getattr(state, name) for name in type(state).__fields__}


async def _busy() -> bool:
    proc = _app().event_processor
    queue = getattr(proc, "_queue", None)
    return bool(proc._tasks or getattr(proc, "_token_queues", None) or (queue is not None and not queue.empty()))


def wait_idle(served, timeout: float = 20) -> None:
    """Until Reflex's event processor has nothing queued or running (background tasks included)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        if served.call(_busy()):
            quiet = 0
        else:
            quiet += 1
            if quiet >= 2:
                return
        time.sleep(0.02)
    raise AssertionError("the server's event processor did not become idle")
