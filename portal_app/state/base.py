"""The base state: resolves the workspace (from the socket's Host) and the actor (from the
socket's HttpOnly session cookie) on the server, for every event, and holds the branding
every page shows. Nothing here trusts a value the browser sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from portal_app.access import may_read_dev_outbox
from portal_app.db import unit_of_work
from portal_app.errors import Forbidden, NotFound, NotSignedIn, ServiceError
from portal_app.services.portal import portal_settings
from portal_app.services.sessions import context_for, session_token

log = logging.getLogger("portal.state")

GENERIC = "Something went wrong on our side. Nothing was changed; please try again."


def contrast_text(hex_color: str) -> str:
    """Black or white text, whichever reads better on the color (WCAG luminance)."""
    try:
        r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111827" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


class BaseState(rx.State):
    """Branding and who is looking; loaded by every page's on_load."""

    business_name: str = ""
    portal_title: str = ""
    accent: str = "#2563eb"
    accent_text: str = "#ffffff"
    brand_primary: str = ""
    brand_secondary: str = ""
    logo_url: str = ""
    sections: portal_settings.Sections = {}
    viewer_name: str = ""
    viewer_kind: str = "anonymous"
    # whether the staff navigation offers the dev outbox (access.may_read_dev_outbox)
    outbox_offered: bool = False
    no_portal: bool = False
    demo_mode: bool = False
    # The page-level message (shown by the shells as a status or alert callout). Handlers
    # never return toasts: those run through eval(), which our CSP forbids.
    notice: str = ""
    notice_tone: str = "green"
    # a shell's navigation on a phone: folded behind its Menu button until asked for
    nav_open: bool = False
    # How the last handler ended (ok | signin | denied | invalid | error): server-side only,
    # for logs and the authorization matrix test.
    _outcome: str = ""
    # The hash of the session token this tree was filled under ("" for none): set and
    # checked before every event by session_guard.SessionGuard, never by a handler.
    _bound_session: str = ""

    @rx.event
    def set_nav_open(self, value: bool):
        self.nav_open = bool(value)

    # --- server-side context (helpers start with _ and are not callable from the browser)

    def _session_token(self) -> str | None:
        """The session token of this event's socket (uploads: see session_guard.UploadGuard)."""
        return session_token(self.router.headers.cookie)

    def _context(self, db):
        """(workspace or None, actor) for this event (services/sessions.context_for)."""
        return context_for(db, self.router.headers.host, self._session_token())

    def _apply_branding(self, db, ws, actor) -> None:
        from portal_app.settings import get_settings

        self.demo_mode = get_settings().demo
        if ws is None:
            self.no_portal = True
            return
        self.no_portal = False
        b = portal_settings.branding_for(db, ws)
        self.business_name = b.business_name
        self.portal_title = b.portal_title
        self.accent = b.accent_color
        self.accent_text = contrast_text(b.accent_color)
        self.brand_primary = b.brand_primary
        self.brand_secondary = b.brand_secondary
        self.logo_url = b.logo_url
        self.sections = b.sections
        self.viewer_kind = actor.kind
        self.viewer_name = getattr(actor, "name", "")
        self.outbox_offered = may_read_dev_outbox(actor, get_settings().mail == "outbox")

    def _run(self, work: Callable[[Any, Any, Any], Any], *, on_error: Callable[[ServiceError], Any] | None = None,
             keep_notice: bool = False):
        """Run one use case in a unit of work with the resolved context.

        Service errors become a human message (toast, or on_error); anything unexpected is
        logged and shown as a generic message: no stack trace reaches a user. A lookup
        (keep_notice) leaves the message of the last action on screen: a debounced search
        landing after a save must not wipe "Saved.".
        """
        if not keep_notice:
            self.notice = ""
        try:
            with unit_of_work() as db:
                ws, actor = self._context(db)
                self._apply_branding(db, ws, actor)
                result = work(db, ws, actor)
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

    def _run_background(self, work: Callable[[Any, Any, Any], Any], *,
                        on_error: Callable[[ServiceError], Any] | None = None,
                        on_unexpected: Callable[[], Any] | None = None) -> tuple[bool, Any]:
        """One step of a background handler: `work(db, ws, actor)` in a unit of work of its
        own, with the context resolved afresh from this event's socket (a session revoked
        meanwhile reads as Anonymous). Returns (True, result), or (False, None) after a
        failure: the handler's cue to stop.

        Call it inside `async with self:` -- state changes need the lock in a background
        handler, and the caller checks what else must still hold there (the tab still bound
        to the session it started under: session_guard.py). Errors map as in `_run`: a
        service error goes to `on_error` (default: the page notice), anything unexpected is
        logged and goes to `on_unexpected` (default: the generic notice). A page that must
        not show anything (a live follower) passes handlers that do nothing.
        """
        try:
            with unit_of_work() as db:
                ws, actor = self._context(db)
                return True, work(db, ws, actor)
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


