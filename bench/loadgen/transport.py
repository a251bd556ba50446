"""One browser tab's websocket to the app, two ways with the same interface:

* RawTab: aiohttp's websocket client and the framing in protocol.py (the default: the cheapest per
  event, see the figures in bench/loadgen/__init__.py);
* SioTab: python-socketio's AsyncClient (as bench/verify_stall.py uses it), kept to measure the
  difference (`--transport socketio`).

A tab is used by one task at a time: `open()` (the websocket upgrade with the browser's Host, Cookie,
Origin and Sec-WebSocket-Protocol, then the CONNECT packet carrying the hydrate event), `send()` an
event, `next_update(deadline)` for the next StateUpdate (heartbeats are answered while reading),
`close()`. Frames that arrive while nobody reads (think time) wait in the socket and are read first
at the next step; they are never a page's final update, which only follows the page's own event.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp

from bench.loadgen import protocol as p


class TabClosed(Exception):
    """The server closed the socket, refused the connection, or the transport failed."""


class TabTimeout(TabClosed):
    """The upgrade or the Engine.IO handshake did not complete before the visit's deadline."""


class Target:
    """Where the tabs connect: always a loopback address, with the Host/Origin of the app's URL."""

    def __init__(self, base_url: str, connect_host: str, port: int, reflex_version: str):
        self.base_url = base_url.rstrip("/")           # e.g. http://localhost:3000 (PORTAL_BASE_URL)
        self.host_header = self.base_url.split("://", 1)[1]
        self.connect_host = connect_host               # 127.0.0.1 or ::1
        self.port = port
        self.reflex_version = reflex_version
        host = f"[{connect_host}]" if ":" in connect_host else connect_host
        self.http_root = f"http://{host}:{port}"

    def ws_url(self, token: str) -> str:
        return f"ws://{self.http_root.split('://', 1)[1]}{p.NAMESPACE}/?{p.engineio_query(token)}"

    def headers(self, cookie: str | None) -> dict[str, str]:
        """What Chromium sends on the upgrade (besides the websocket keys aiohttp adds)."""
        h = {"Host": self.host_header, "Origin": self.base_url, "User-Agent": USER_AGENT,
             "Accept-Language": "en-US,en;q=0.9", "Cache-Control": "no-cache", "Pragma": "no-cache"}
        if cookie:
            h["Cookie"] = cookie
        return h


USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
              "Safari/537.36 portal-loadgen")


class RawTab:
    def __init__(self, session: aiohttp.ClientSession, target: Target, cookie: str | None,
                 record: list | None = None):
        self.session, self.target, self.cookie, self.record = session, target, cookie, record
        self.token = str(uuid.uuid4())
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.handshake: dict = {}
        self.connected = False     # the CONNECT was answered
        self.notes: list[str] = []  # unusual packets seen (state_mismatch, disconnect …)

    def _log(self, direction: str, text: str) -> None:
        if self.record is not None:
            self.record.append({"dir": direction, "t": round(time.monotonic(), 6), "frame": text})

    async def open(self, auth: dict, deadline: float) -> None:
        """The upgrade and Engine.IO handshake (by `deadline`, time.monotonic), then the CONNECT packet
        with the hydrate event in its auth. Returns once the CONNECT is sent; its answer and the
        hydrate's updates are read by next_update (the browser does not wait for the answer either)."""
        try:
            async with asyncio.timeout(max(0.001, deadline - time.monotonic())):
                self.ws = await self.session.ws_connect(
                    self.target.ws_url(self.token), headers=self.target.headers(self.cookie),
                    protocols=(self.target.reflex_version,), timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
                    autoping=True, max_msg_size=0, compress=0)
                msg = await self.ws.receive()
        except TimeoutError:
            raise TabTimeout("no Engine.IO handshake before the deadline") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TabClosed(f"upgrade failed: {type(exc).__name__}: {exc}") from None
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise TabClosed(f"no Engine.IO handshake ({msg.type.name})")
        self._log("in", msg.data)
        packet = p.decode(msg.data)
        if packet.eio != p.EIO_OPEN:
            raise TabClosed(f"expected the Engine.IO open packet, got {msg.data[:60]!r}")
        self.handshake = packet.data
        await self._send(p.encode_connect(auth))

    async def _send(self, text: str) -> None:
        if self.ws is None or self.ws.closed:
            raise TabClosed("socket closed")
        self._log("out", text)
        try:
            await self.ws.send_str(text)
        except (aiohttp.ClientError, OSError, ConnectionError) as exc:
            raise TabClosed(f"send failed: {exc}") from None

    async def send(self, event: dict[str, Any]) -> None:
        await self._send(p.encode_event(p.UPDATE_EVENT, event))

    async def next_update(self, deadline: float) -> p.Update | None:
        """The next StateUpdate, or None when `deadline` (time.monotonic) passes first. Answers the
        server's heartbeat and notes the CONNECT answer on the way; raises TabClosed when the socket
        ends or the connection is refused."""
        assert self.ws is not None
        for _ in range(100_000):  # frames between two updates: heartbeats, acks — bounded
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = await self.ws.receive(timeout=left)  # aiohttp's own timer: no task per frame
            except TimeoutError:
                return None
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise TabClosed(f"socket {msg.type.name.lower()} ({self.ws.close_code})")
            self._log("in", msg.data)
            packet = p.decode(msg.data)
            if packet.eio == p.EIO_PING:
                await self._send(p.PONG_FRAME)
                continue
            if packet.eio == p.EIO_CLOSE:
                raise TabClosed("engine.io close")
            if packet.eio != p.EIO_MESSAGE:
                continue
            if packet.sio == p.SIO_CONNECT:
                self.connected = True
                continue
            if packet.sio == p.SIO_CONNECT_ERROR:
                raise TabClosed(f"connect refused: {packet.data}")
            if packet.sio == p.SIO_DISCONNECT:
                raise TabClosed("disconnected by the server")
            update = p.update_of(packet)
            if update is not None:
                return update
            if packet.event_name == p.STATE_MISMATCH:
                self.notes.append(f"state_mismatch: {packet.data[1] if len(packet.data) > 1 else ''}")
        raise TabClosed("too many frames without an update")

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                # socket.io-client's disconnect(): a DISCONNECT packet, then the transport closes
                self._log("out", f"{p.EIO_MESSAGE}{p.SIO_DISCONNECT}{p.NAMESPACE},")
                await self.ws.send_str(f"{p.EIO_MESSAGE}{p.SIO_DISCONNECT}{p.NAMESPACE},")
                await asyncio.wait_for(self.ws.close(), 2.0)
            except (aiohttp.ClientError, OSError, ConnectionError, TimeoutError):
                pass
        self.connected = False


class SioTab:
    """The same tab through python-socketio's AsyncClient (its own heartbeat task and read loop)."""

    def __init__(self, session: aiohttp.ClientSession, target: Target, cookie: str | None,
                 record: list | None = None):
        import socketio

        self.target, self.cookie = target, cookie
        self.token = str(uuid.uuid4())
        # engine.io moves a Cookie header into the session's cookie jar (shared, and a dummy here): the
        # websocket options' headers go on the upgrade as they are
        self.sio = socketio.AsyncClient(reconnection=False, http_session=session,
                                        websocket_extra_options={"headers": {"Cookie": cookie} if cookie else {}})
        self.updates: asyncio.Queue = asyncio.Queue()
        self.connected = False
        self.notes: list[str] = []
        self.handshake: dict = {}
        self.sio.on(p.UPDATE_EVENT, self._on_update, namespace=p.NAMESPACE)
        self.sio.on(p.STATE_MISMATCH, lambda data: self.notes.append(f"state_mismatch: {data}"),
                    namespace=p.NAMESPACE)
        self.sio.on("disconnect", lambda *_: self.updates.put_nowait(None), namespace=p.NAMESPACE)

    def _on_update(self, body: dict) -> None:
        self.updates.put_nowait(p.Update(delta=body.get("delta") or {}, events=body.get("events") or []))

    async def open(self, auth: dict, deadline: float) -> None:
        try:
            async with asyncio.timeout(max(0.001, deadline - time.monotonic())):
                await self.sio.connect(f"{self.target.http_root}/?token={self.token}",
                                       headers=self.target.headers(None), auth=auth, transports=["websocket"],
                                       namespaces=[p.NAMESPACE], socketio_path=p.NAMESPACE,
                                       wait_timeout=max(1, int(deadline - time.monotonic())))
        except TimeoutError:
            raise TabTimeout("no connection before the deadline") from None
        except Exception as exc:
            raise TabClosed(f"connect failed: {type(exc).__name__}: {exc}") from None
        self.connected = True

    async def send(self, event: dict[str, Any]) -> None:
        try:
            await self.sio.emit(p.UPDATE_EVENT, event, namespace=p.NAMESPACE)
        except Exception as exc:
            raise TabClosed(f"send failed: {exc}") from None

    async def next_update(self, deadline: float) -> p.Update | None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            update = await asyncio.wait_for(self.updates.get(), left)
        except TimeoutError:
            return None
        if update is None:
            raise TabClosed("disconnected")
        return update

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.sio.disconnect(), 2.0)
        except Exception:
            pass
        self.connected = False


TRANSPORTS = {"raw": RawTab, "socketio": SioTab}
