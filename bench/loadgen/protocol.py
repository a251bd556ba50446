"""Reflex 0.10.1's websocket protocol as a browser tab speaks it: Engine.IO v4 framing, Socket.IO v5
packets on the `/_event` namespace, the events a page visit sends, and what the answers mean.

Pure functions, no I/O (tests/unit/test_loadgen_protocol.py parses frames recorded from the app with
them). Read from the installed sources, not from memory:

* reflex/app.py `EventNamespace`: the hydrate event rides in the Socket.IO CONNECT packet's auth
  (`{"event": …, "state_schema": …}`, CompileVars.CONNECT_AUTH_EVENT / …_STATE_SCHEMA); the tab
  token is the `token` query parameter of the Engine.IO URL; the router's headers (Host, Cookie,
  Origin …) are those of the websocket upgrade request; every answer is an "event" packet whose
  data is a StateUpdate: {"delta": {state: {var: value}}, "events": [frontend events]}, empty
  fields left out.
* reflex_base/.templates/web/utils/state.js: `connect()` (bootAuth, the CONNECT packet),
  `withRouterData` (pathname, asPath, query = search params + route params), `applyEvent`
  (`socket.emit("event", event)`), and the route-change effect that sends
  `app.onLoadInternalEvent()` on every client-side navigation; reflex_base/compiler/templates.py
  `initialEvents` (hydrate_and_load with the compiled initialStateHashes on the first connect).
* reflex/state.py: `hydrate_and_load` sends the snapshot with is_hydrated=False and queues
  `on_load_internal`, which queues the page's on_load handlers followed by
  `OnLoadInternalState.set_is_hydrated(True)`. StateUpdate.final is deprecated and never sent, so
  the end of a page load is the delta that sets the root state's `is_hydrated_rx_state_` to true:
  it is what the browser waits for too (rx.State.is_hydrated).

How the portal signals trouble (portal_app/state/base.py): a handler that finds no session returns
`rx.redirect("/login?next=…")` (a `_redirect` frontend event), an unexpected error sets the base
state's `notice` with `notice_tone` "red", service refusals fill a page var (`refusal`, `error`,
`found=False`); Reflex's own backend exception handler sends a toast (`_call_function`).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

# --- Engine.IO v4 packet types (the first character of a text frame)
EIO_OPEN, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE, EIO_UPGRADE, EIO_NOOP = "0", "1", "2", "3", "4", "5", "6"
EIO_NAMES = {EIO_OPEN: "open", EIO_CLOSE: "close", EIO_PING: "ping", EIO_PONG: "pong", EIO_MESSAGE: "message",
             EIO_UPGRADE: "upgrade", EIO_NOOP: "noop"}
# --- Socket.IO v5 packet types (the character after Engine.IO's "4")
SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_ACK, SIO_CONNECT_ERROR, SIO_BINARY_EVENT, SIO_BINARY_ACK = range(7)
SIO_NAMES = ["connect", "disconnect", "event", "ack", "connect_error", "binary_event", "binary_ack"]

ENGINEIO_VERSION = "4"
NAMESPACE = "/_event"         # config.get_event_namespace(); also the Engine.IO path (Endpoint.EVENT)
PONG_FRAME = EIO_PONG         # the answer to the server's "2" heartbeat

# --- Reflex names (fixed by Reflex, not by the app)
ROOT_STATE = "reflex___state____state"
HYDRATE_AND_LOAD = f"{ROOT_STATE}.hydrate_and_load"
ON_LOAD_INTERNAL = f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal"
VAR_SUFFIX = "_rx_state_"     # every var in a delta is named <var>_rx_state_
IS_HYDRATED = "is_hydrated" + VAR_SUFFIX
UPDATE_EVENT = "event"        # SocketEvent.EVENT: the server's StateUpdate packets
STATE_MISMATCH = "state_mismatch"  # SocketEvent.STATE_MISMATCH: the frontend was built for another state tree
# Frontend events the backend sends that mean something went wrong for the user
TOAST_EVENTS = ("_call_function", "_call_script")  # Reflex's default backend exception handler: a toast


class ProtocolError(ValueError):
    """A frame that is not Engine.IO v4 / Socket.IO v5 text as Reflex sends it."""


@dataclass(slots=True)
class Packet:
    """One decoded websocket text frame."""
    eio: str                     # Engine.IO type: EIO_OPEN … EIO_NOOP
    sio: int | None = None       # Socket.IO type, for EIO_MESSAGE frames
    namespace: str = "/"
    ack_id: int | None = None
    data: Any = None             # the handshake (open), the CONNECT answer, or [event name, payload]

    @property
    def event_name(self) -> str | None:
        if self.sio == SIO_EVENT and isinstance(self.data, list) and self.data and isinstance(self.data[0], str):
            return self.data[0]
        return None


@dataclass(slots=True)
class Update:
    """A StateUpdate from the server: the changed vars per state and the frontend events."""
    delta: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------------------------- framing


def decode(frame: str | bytes) -> Packet:
    """Engine.IO v4 text frame -> Packet (Socket.IO v5 decoded for messages), as python-socketio's
    Packet.decode reads it. Binary frames (attachments) are not used by Reflex: refused."""
    if isinstance(frame, bytes | bytearray):
        raise ProtocolError("binary frame: Reflex sends text frames only")
    if not frame or frame[0] not in EIO_NAMES:
        raise ProtocolError(f"not an Engine.IO v4 packet: {frame[:40]!r}")
    kind, rest = frame[0], frame[1:]
    if kind == EIO_OPEN:
        return Packet(kind, data=_loads(rest, frame))
    if kind != EIO_MESSAGE:
        return Packet(kind, data=rest or None)
    if not rest or not rest[0].isdigit():
        raise ProtocolError(f"not a Socket.IO v5 packet: {frame[:40]!r}")
    sio, rest = int(rest[0]), rest[1:]
    if sio >= len(SIO_NAMES):
        raise ProtocolError(f"unknown Socket.IO packet type {sio}: {frame[:40]!r}")
    if sio in (SIO_BINARY_EVENT, SIO_BINARY_ACK):
        raise ProtocolError("binary Socket.IO packet: Reflex sends none")
    namespace = "/"
    if rest.startswith("/"):
        comma = rest.find(",")
        namespace, rest = (rest, "") if comma == -1 else (rest[:comma], rest[comma + 1:])
    ack_id = None
    digits = 0
    for ch in rest[:20]:  # an ack id is at most a few digits: bounded
        if not ch.isdigit():
            break
        digits += 1
    if digits:
        ack_id, rest = int(rest[:digits]), rest[digits:]
    return Packet(kind, sio, namespace, ack_id, _loads(rest, frame) if rest else None)


def _loads(text: str, frame: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"bad JSON in {frame[:60]!r}: {exc}") from None


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode_connect(auth: dict | None, namespace: str = NAMESPACE) -> str:
    """The Socket.IO CONNECT packet the browser sends once the transport is open ("40/_event,{…}")."""
    return f"{EIO_MESSAGE}{SIO_CONNECT}{namespace}," + (_dumps(auth) if auth is not None else "")


def encode_event(name: str, payload: Any, namespace: str = NAMESPACE) -> str:
    """A Socket.IO EVENT packet without ack: what `socket.emit(name, payload)` sends."""
    return f"{EIO_MESSAGE}{SIO_EVENT}{namespace}," + _dumps([name, payload])


def engineio_query(token: str) -> str:
    """The query string of the websocket URL socket.io-client opens (EIO=4, websocket only, the tab token)."""
    return urlencode({"token": token, "EIO": ENGINEIO_VERSION, "transport": "websocket"})


# ---------------------------------------------------------------------------- what a tab sends


def router_data(path: str, params: dict[str, str] | None = None, search: str = "") -> dict[str, Any]:
    """state.js withRouterData: pathname, asPath (+ search), and query = search params + route params
    (React Router's useParams), present only when not empty."""
    data: dict[str, Any] = {"pathname": path, "asPath": path + (f"?{search}" if search else "")}
    query: dict[str, str] = {}
    if search:
        from urllib.parse import parse_qsl

        query.update(parse_qsl(search))
    query.update(params or {})
    if query:
        data["query"] = query
    return data


def hydrate_event(path: str, params: dict[str, str] | None = None, *, hashes: list[str] | None = None,
                  search: str = "") -> dict[str, Any]:
    """initialEvents(first): `hydrate_and_load`, with the compiled state hashes on a tab's first
    connect (the server then sends only what differs from the compiled defaults); a reconnect sends
    none. ReflexEvent leaves an empty payload out."""
    event: dict[str, Any] = {"name": HYDRATE_AND_LOAD}
    if hashes:
        event["payload"] = {"hashes": list(hashes)}
    event["router_data"] = router_data(path, params, search)
    return event


def boot_auth(event: dict[str, Any], state_schema: str | None) -> dict[str, Any]:
    """bootAuth(): the CONNECT packet's auth; a frontend that knows no schema sends none."""
    auth: dict[str, Any] = {"event": event}
    if state_schema:
        auth["state_schema"] = state_schema
    return auth


def navigation_event(path: str, params: dict[str, str] | None = None, search: str = "") -> dict[str, Any]:
    """onLoadInternalEvent(): sent on every client-side navigation (the app has no client storage
    vars, so no update_vars_internal goes before it)."""
    return {"name": ON_LOAD_INTERNAL, "router_data": router_data(path, params, search)}


# --------------------------------------------------------------------- what the server answers


def update_of(packet: Packet) -> Update | None:
    """The StateUpdate an "event" packet carries, or None for any other packet."""
    if packet.event_name != UPDATE_EVENT or len(packet.data) < 2 or not isinstance(packet.data[1], dict):
        return None
    body = packet.data[1]
    return Update(delta=body.get("delta") or {}, events=body.get("events") or [])


def page_loaded(update: Update) -> bool:
    """The last update of a page load: OnLoadInternalState.set_is_hydrated(True) (or hydrate_and_load /
    on_load_internal themselves for a page without on_load) sets the root's is_hydrated."""
    return update.delta.get(ROOT_STATE, {}).get(IS_HYDRATED) is True


def redirect_of(update: Update) -> str | None:
    for ev in update.events:
        if ev.get("name") == "_redirect":
            return str((ev.get("payload") or {}).get("path", ""))
    return None


def problems(update: Update) -> list[str]:
    """What in an update tells the user something went wrong: a redirect (to /login when the session is
    gone), a toast from Reflex's backend exception handler, a red notice, a refusal or error text, a
    record not found."""
    found: list[str] = []
    for ev in update.events:
        name = ev.get("name", "")
        if name == "_redirect":
            found.append(f"redirect to {(ev.get('payload') or {}).get('path', '?')}")
        elif name in TOAST_EVENTS:
            found.append("backend exception (toast)")
    for state, values in update.delta.items():
        short = short_state(state)
        notice = values.get("notice" + VAR_SUFFIX)
        if notice and values.get("notice_tone" + VAR_SUFFIX) == "red":
            found.append(f"{short}: notice {str(notice)[:80]!r}")
        for var in ("refusal", "error"):
            text = values.get(var + VAR_SUFFIX)
            if isinstance(text, str) and text:
                found.append(f"{short}: {var} {text[:80]!r}")
        if values.get("found" + VAR_SUFFIX) is False:
            found.append(f"{short}: not found")
    return found


def short_state(full_name: str) -> str:
    """'reflex___state____state.portal_app___state___base____base_state.…____home_state' -> 'home_state'."""
    last = full_name.rsplit(".", 1)[-1]
    return last.rsplit("____", 1)[-1]


@functools.lru_cache(maxsize=256)
def snake(class_name: str) -> str:
    """reflex_base.utils.format.to_snake_case, for a class name."""
    s1 = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s1).lower().replace("-", "_")


def find_state_name(update: Update, class_name: str) -> str | None:
    """The full name of the state class `class_name` in this update (a State's full name ends in
    `____<snake name>`: State.get_name() snake-cases `<module>___<Class>`), or None."""
    suffix = "____" + snake(class_name)
    for state in update.delta:
        if state.endswith(suffix):
            return state
    return None


def find_state(update: Update, class_name: str) -> dict[str, Any] | None:
    """The delta of the state class `class_name`, or None when the update does not carry it."""
    name = find_state_name(update, class_name)
    return None if name is None else update.delta[name]


# ------------------------------------------------------------------------ the compiled frontend


def compiled_facts(context_jsx: str) -> dict[str, Any]:
    """What the compiled frontend (.web/utils/context.jsx) sends on a tab's first connect: the state
    name, the initialStateHashes and the stateSchema (reflex_base/compiler/templates.py)."""
    hashes = re.search(r"export const initialStateHashes = (\[.*?\])", context_jsx, re.S)
    schema = re.search(r'export const stateSchema = "(\w*)"', context_jsx)
    state = re.search(r'export const state_name = "([\w.]*)"', context_jsx)
    if not (hashes and schema and state):
        raise ProtocolError("context.jsx carries no initialStateHashes/stateSchema/state_name")
    if state.group(1) != ROOT_STATE:
        raise ProtocolError(f"unexpected root state {state.group(1)!r}")
    return {"hashes": json.loads(hashes.group(1)), "state_schema": schema.group(1)}
