"""The base state: resolves the workspace (from the socket's Host) and the actor (from the
socket's HttpOnly session cookie) on the server, for every event, and holds the branding
every page shows. Nothing here trusts a value the browser sends.

Every handler's database work runs off the event loop (`_run`, `_run_background`: a thread of
`event_threads`), so one user's query never holds up another's event, a page's files, or
`/ping`. The (workspace, actor, branding) an event runs as comes from `event_context`: a
short-lived per-process cache keyed by the Host and the session binding (the hash of the
session token, as session_guard binds a tab's tree), checked at every use against the
workspace's context_version -- which every change it is built from bumps
(models/context_version.py) -- so the very next event after a role change, a disabled
account, an ended session or saved branding resolves afresh, in every worker process.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import reflex as rx

from portal_app.access import (
    STAFF_TWO_FACTOR_PAGE,
    is_signed_in,
    is_staff_area,
    may_enter_staff_area,
    may_read_dev_outbox,
    must_enrol_two_factor,
)
from portal_app.db import unit_of_work
from portal_app.errors import Forbidden, NotFound, NotSignedIn, ServiceError
from portal_app.services import sessions
from portal_app.services.portal import workspaces
from portal_app.services.portal.contrast import text_on
from portal_app.services.portal.portal_settings import Branding, Sections
from portal_app.services.security import hash_token
from portal_app.services.sessions import ResolvedContext, pending_token, session_token
from portal_app.settings import get_settings

log = logging.getLogger("portal.state")

GENERIC = "Something went wrong on our side. Nothing was changed; please try again."


def contrast_text(hex_color: str) -> str:
    """The text color that reads on `hex_color` (white or near-black: contrast.text_on)."""
    try:
        return text_on(hex_color)
    except ValueError:
        return "#ffffff"


UNBOUND = "unbound"  # what a new tree is bound to: never a binding_of() value


def binding_of(token: str | None) -> str:
    """What a tree is bound to (session_guard) and a context is cached under: the session
    token's hash, or "" for no session."""
    return hash_token(token) if token else ""


class _ContextCache:
    """Resolved contexts by (host, session binding): least recently used first out, at most
    `limit` entries (a few hundred bytes each), shared by the event threads."""

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self._entries: OrderedDict[tuple[str, str], ResolvedContext] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> ResolvedContext | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], ctx: ResolvedContext) -> None:
        with self._lock:
            self._entries[key] = ctx
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


CONTEXTS = _ContextCache()


def event_context(db, host: str | None, token: str | None) -> ResolvedContext:
    """(workspace, actor, branding) for an event: the cached answer while it still holds --
    same host and session, and `sessions.still_current` (not past its time, its workspace's
    context_version unchanged: one primary-key read) -- else resolved afresh
    (`sessions.resolve_context`) and cached. Nothing is cached for a host that reaches no
    workspace."""
    key = (host or "", binding_of(token))
    hit = CONTEXTS.get(key)
    if hit is not None and sessions.still_current(db, hit):
        return hit
    ctx = sessions.resolve_context(db, host, token)
    if ctx.workspace is not None:
        CONTEXTS.put(key, ctx)
    return ctx


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _event_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=get_settings().event_threads, thread_name_prefix="portal-event")
        return _executor


async def off_loop(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (database work) in an event thread and wait for it without
    holding up the event loop; context variables go along, as with asyncio.to_thread."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_event_executor(), call)


class BaseState(rx.State):
    """Branding and who is looking; loaded by every page's on_load."""

    business_name: str = ""
    portal_title: str = ""
    accent: str = "#2563eb"
    accent_text: str = "#ffffff"
    brand_primary: str = ""
    brand_secondary: str = ""
    # the text colors that read on the brand colors (services/portal/contrast.py)
    brand_primary_text: str = "#ffffff"
    brand_secondary_text: str = "#ffffff"
    logo_url: str = ""
    favicon_url: str = "/favicon.ico"
    sections: Sections = {}
    viewer_name: str = ""
    viewer_kind: str = "anonymous"
    # whether the staff navigation offers the dev outbox (access.may_read_dev_outbox)
    outbox_offered: bool = False
    no_portal: bool = False
    # the workspace has the chat widget switched on (branding: public); the client shell mounts
    # the widget (state/portal/chat.py) only then, so a portal without chat costs no event
    chat_on: bool = False
    demo_mode: bool = False
    # The page-level message (shown by the shells as a status or alert callout). Handlers
    # never return toasts: those run through eval(), which our CSP forbids.
    notice: str = ""
    notice_tone: str = "green"
    # How the last handler ended (ok | signin | denied | invalid | error): server-side only,
    # for logs and the authorization matrix test.
    _outcome: str = ""
    # The hash of the session token this tree was filled under ("" for none; UNBOUND for a
    # tree no event has reached yet): set and checked before every event by
    # session_guard.SessionGuard, never by a handler.
    _bound_session: str = UNBOUND

    # --- server-side context (helpers start with _ and are not callable from the browser)

    def _session_token(self) -> str | None:
        """The session token of this event's socket (uploads: see session_guard.UploadGuard)."""
        return session_token(self.router.headers.cookie)

    def _pending_sign_in_token(self) -> str | None:
        """The pending sign-in's token of this event's socket (the two-factor code page: a
        right password, no session yet), read here beside the session's."""
        return pending_token(self.router.headers.cookie)

    def _request_host(self) -> str:
        """The one Host of this event's socket upgrade ("" for none we trust: repeated Host
        lines, which Reflex joins with a comma; X-Forwarded-Host only behind
        PORTAL_TRUSTED_PROXY_HOPS proxies): workspaces.request_host, as for the api/ routes."""
        raw = self.router.headers.raw_headers
        return workspaces.request_host([raw["host"]] if "host" in raw else [],
                                       [raw["x-forwarded-host"]] if "x-forwarded-host" in raw else [],
                                       get_settings().trusted_proxy_hops)

    def _context(self, db) -> ResolvedContext:
        """This event's (workspace, actor, branding): `event_context`."""
        return event_context(db, self._request_host(), self._session_token())

    def _assign(self, **values: Any) -> None:
        """Set vars that changed, and only those: Reflex sends every var a handler assigns
        in the event's delta, equal or not, and these are set by every event."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _signed_in_now(self) -> bool:
        """Whether this event's session is signed in now (the session guard asks at a page
        load): blocking, for an event thread."""
        with unit_of_work() as db:
            return is_signed_in(self._context(db).actor)

    def _apply_branding(self, ctx: ResolvedContext) -> None:
        settings = get_settings()
        self._show_branding(ctx.branding)
        self._assign(demo_mode=settings.demo, viewer_kind=ctx.actor.kind, viewer_name=getattr(ctx.actor, "name", ""),
                     outbox_offered=may_read_dev_outbox(ctx.actor, settings.mail == "outbox"))

    def _show_branding(self, b: Branding | None) -> None:
        if b is None:
            self._assign(no_portal=True)
            return
        self._assign(no_portal=False, business_name=b.business_name, portal_title=b.portal_title,
                     accent=b.accent_color, accent_text=contrast_text(b.accent_color), brand_primary=b.brand_primary,
                     brand_secondary=b.brand_secondary, logo_url=b.logo_url, favicon_url=b.favicon_url,
                     brand_primary_text=contrast_text(b.brand_primary or b.accent_color),
                     brand_secondary_text=contrast_text(b.brand_secondary or b.accent_color),
                     sections=dict(b.sections),  # a copy: the cached one is shared
                     chat_on=b.chat_widget)

    async def _run(self, work: Callable[[Any, Any, Any], Any], *, on_error: Callable[[ServiceError], Any] | None = None,
                   keep_notice: bool = False):
        """Run one use case, `work(db, workspace, actor)`, in a unit of work with the resolved
        context, in an event thread (`off_loop`); the handler awaits it.

        Service errors become a human message (toast, or on_error); anything unexpected is
        logged and shown as a generic message: no stack trace reaches a user. A lookup
        (keep_notice) leaves the message of the last action on screen: a debounced search
        landing after a save must not wipe "Saved.".
        """
        return await off_loop(self._run_here, work, on_error, keep_notice)

    def _run_here(self, work: Callable[[Any, Any, Any], Any], on_error: Callable[[ServiceError], Any] | None,
                  keep_notice: bool):
        if not keep_notice:
            self._assign(notice="")
        try:
            with unit_of_work() as db:
                ctx = self._context(db)
                self._apply_branding(ctx)
                if self._kept_out(ctx):
                    self._outcome = "denied"
                    return rx.redirect(STAFF_TWO_FACTOR_PAGE if must_enrol_two_factor(ctx.actor) else "/")
                result = work(db, ctx.workspace, ctx.actor)
                self._outcome = "ok"
                return result
        except NotSignedIn:
            self._outcome = "signin"
            return self._to_login()
        except ServiceError as exc:
            self._outcome = "denied" if isinstance(exc, (Forbidden, NotFound)) else "invalid"
            if on_error is not None:
                return on_error(exc)
            self._notify(exc.message, "red")
            return None
        except Exception:
            self._outcome = "error"
            log.exception("unexpected error in %s", type(self).__name__)
            self._notify(GENERIC, "red")
            return None

    async def _run_background(self, work: Callable[[Any, Any, Any], Any], *,
                              on_error: Callable[[ServiceError], Any] | None = None,
                              on_unexpected: Callable[[], Any] | None = None) -> tuple[bool, Any]:
        """One step of a background handler: `work(db, ws, actor)` in a unit of work of its
        own, in an event thread, with the context resolved afresh from this event's socket (a
        session revoked meanwhile reads as Anonymous). Returns (True, result), or (False, None)
        after a failure: the handler's cue to stop.

        Call it inside `async with self:` -- state changes need the lock in a background
        handler, and the caller checks what else must still hold there (the tab still bound
        to the session it started under: session_guard.py). Errors map as in `_run`: a
        service error goes to `on_error` (default: the page notice), anything unexpected is
        logged and goes to `on_unexpected` (default: the generic notice). A page that must
        not show anything (a live follower) passes handlers that do nothing.
        """
        return await off_loop(self._run_background_here, work, on_error, on_unexpected)

    def _run_background_here(self, work, on_error, on_unexpected) -> tuple[bool, Any]:
        try:
            with unit_of_work() as db:
                ctx = self._context(db)
                if self._kept_out(ctx):
                    return False, None
                return True, work(db, ctx.workspace, ctx.actor)
        except ServiceError as exc:
            if on_error is None:
                self._notify(exc.message, "red")
            else:
                on_error(exc)
        except Exception:
            log.exception("unexpected error in a background event of %s", self.__class__.__name__)
            if on_unexpected is None:
                self._notify(GENERIC, "red")
            else:
                on_unexpected()
        return False, None

    def _kept_out(self, ctx: ResolvedContext) -> bool:
        """Whether this event comes from a page of the staff area the actor may not enter (a
        client: access.may_enter_staff_area); `_run` then sends them to their portal home
        before the handler runs, so no staff data is read. The staff shell shows nothing until
        the viewer is staff (components/layout.staff_shell).

        A staff member who must set up two-factor sign-in first (access.must_enrol_two_factor)
        is kept out of every page but the setup page, and sent there."""
        path = self.router.url.path or ""
        if must_enrol_two_factor(ctx.actor):
            return (path.rstrip("/") or "/") != STAFF_TWO_FACTOR_PAGE
        return is_staff_area(path) and not may_enter_staff_area(ctx.actor)

    def _notify(self, message: str, tone: str = "green") -> None:
        self.notice, self.notice_tone = message, tone

    def _to_login(self):
        path = self.router.url.path or "/"
        if path.startswith("/staff"):
            return rx.redirect(f"/staff/login?next={path}")
        return rx.redirect(f"/login?next={path}")

    def _query(self, name: str) -> str:
        value = self.router.url.query_parameters.get(name, "")
        return value if isinstance(value, str) else ""


