"""What one person loaded never reaches another: server-side state bound to its session.

What Reflex 0.10.1 does (read in reflex/app.py, reflex/state.py,
reflex_base/event/processor/base_state_processor.py, reflex_components_core/core/_upload.py):

- The browser keeps a random *tab token* in sessionStorage and the server keys the whole
  state tree by it -- not by our session cookie. Signing out (a cookie change) leaves the
  tree as it was, and the next page of the same tab, whoever uses it, gets it back:
  `hydrate_and_load` sends `state.dict()`, every substate in full.
- Every event (websocket events, and upload events from `POST /_upload`) is processed under
  the tree's lock: the event's router data (the socket's own upgrade headers, cookie
  included) is merged into the state, then the app's middlewares' `preprocess(state=root,
  event)` run -- before the handler and before the hydrate snapshot is taken.
- Upload events carry no router data: the handler sees the headers stored from the tab's
  last websocket event, whoever sends the upload. The token is a header anyone can copy.

So the guard has two halves:

1. `SessionGuard`, a Reflex middleware (the one place every event passes, hydrate
   included): the tree remembers a hash of the session token it was filled under
   (`BaseState._bound_session`). When an event's cookie names another session (signed out,
   signed in as someone else, a replayed tab token without the cookie), every substate of
   the app is loaded and reset *before anything else runs*, and the tree is bound to the
   new session. On hydrate (a page load) the session is also checked in the database: a
   session that ended (signed out elsewhere, expired, disabled) resets the tree even when
   the cookie is the same. A new tree (`UNBOUND`: a new tab, or one whose state expired) is
   only bound: no event has reached it, so it holds defaults and there is nothing to reset
   (resetting every substate of every new tab was 7 % of a loaded worker's CPU).
2. `UploadGuard`, ASGI in front of `/_upload`: the upload request's *own* cookie must name
   the session the tab's tree is bound to, or the request is refused with 403 before Reflex
   reads a byte or runs the handler.

Sign-out also gives the tab a fresh token: the logout response carries
`Clear-Site-Data: "storage"` (api/auth_routes.py), which empties the tab's sessionStorage, so
the signed-out page connects under a new token and the old tree is never addressed again.
"""

from __future__ import annotations

import json
import logging

import reflex.state
from reflex.middleware import Middleware

from portal_app.services.sessions import session_token
from portal_app.state.base import UNBOUND, BaseState, binding_of, off_loop

log = logging.getLogger("portal.session_guard")

UPLOAD_PATH = "/_upload"


def app_state_classes() -> list[type[reflex.state.BaseState]]:
    """Every State class of the app, parents before children."""
    found: list[type[reflex.state.BaseState]] = []
    todo: list[type[reflex.state.BaseState]] = [BaseState]
    while todo:
        cls = todo.pop(0)
        found.append(cls)
        todo.extend(sorted(cls.get_substates(), key=lambda c: c.get_full_name()))
    return found


async def reset_tree(root) -> None:
    """Load every app substate (on Redis only the event's branch is loaded) and put each
    back to its defaults, backend vars included. Only what differs is set: Reflex sends every
    var assigned in the next delta, equal or not."""
    for cls in app_state_classes():
        state = await root.get_state(cls)
        cls_fields = type(state).__fields__
        for name, field in cls_fields.items():
            if field._owner is type(state) and not name.startswith("rx_router") and name != "router_data":
                default = field.default_value()
                if getattr(state, name) != default:
                    setattr(state, name, default)


class SessionGuard(Middleware):
    """Runs before every event's handler (see the module docstring)."""

    async def preprocess(self, app, state, event):
        from reflex_base.event.processor.base_state_processor import _hydrate_event_names

        hydrate = event.name in _hydrate_event_names()
        if not hydrate and not event.name.startswith(BaseState.get_full_name() + "."):
            # Reflex's own internal events (on_load_internal, update_vars_internal) carry no
            # app data; skipping them spares a full tree load from Redis per page load.
            return None
        base = await state.get_state(BaseState)
        token = base._session_token()
        binding = binding_of(token)
        if base._bound_session == UNBOUND:
            # A new tree (a new tab, or one whose state expired): no event has reached it, so
            # it holds nothing but defaults -- nothing to reset; it is bound to this session now.
            # (Every event passes here first, hydrate included, so none can fill it unbound.)
            base._bound_session = binding
            return None
        stale = base._bound_session != binding
        if not stale and token and hydrate:
            # A page load: the session must still be live, or what it loaded goes.
            stale = not await off_loop(base._signed_in_now)
        if stale:
            await reset_tree(state)
            base._bound_session = binding
        return None


DRAIN_BYTES = 1024 * 1024


async def _drain(receive) -> None:
    """Read (and drop) up to DRAIN_BYTES of a refused body before answering: a server that
    answers while the client is still sending resets the connection, and the client sees a
    network error instead of the 403. Larger bodies are cut off (api/body_limits.py has
    already held them to the handler's own limit)."""
    seen = 0
    while seen <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def _deny(message: str, status: int = 403):
    body = json.dumps({"detail": message}).encode()
    return [{"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body}]


class UploadGuard:
    """ASGI: an upload is accepted only when its own cookie names the session the tab's
    state is bound to (an anonymous tab, e.g. /verify, accepts anonymous uploads)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path", "").rstrip("/") != UPLOAD_PATH or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        tab = headers.get("reflex-client-token", "")
        if not tab or len(tab) > 200 or not await self._matches(tab, binding_of(session_token(headers.get("cookie")))):
            await _drain(receive)
            for message in _deny("This upload does not belong to your session. Reload the page and try again."):
                await send(message)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _matches(tab: str, binding: str) -> bool:
        from reflex.istate.manager import get_state_manager
        from reflex.istate.manager.memory import StateManagerMemory
        from reflex.istate.manager.token import BaseStateToken

        try:
            manager = get_state_manager()
        except LookupError:  # no event processor runs (an app served without its lifespan)
            return False
        token = BaseStateToken(ident=tab, cls=BaseState)
        if isinstance(manager, StateManagerMemory) and token.cache_key not in manager.states:
            # no tab has this token: reading it would create (and keep, for the expiry) a tree
            return False
        try:
            root = await manager.get_state(token)
            base = await root.get_state(BaseState)
        except Exception:
            log.exception("could not read the tab's state for an upload")
            return False
        # A tree never used by a websocket has no router data: nobody loaded a page with it.
        return bool(root.router_data) and base._bound_session == binding
