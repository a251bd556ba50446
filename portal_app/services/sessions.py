"""Who is calling: the session cookie's name, reading our token from a Cookie header, and the
(workspace, actor) a request resolves to -- the workspace from its Host, the actor from its
session token on that workspace (services/auth.resolve_actor).

The one place for this, below both state/ (events, uploads, the session guard) and api/
(every route): neither imports the other for it. Plain Python: no Reflex, no Starlette.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

import sqlalchemy as sa
from sqlmodel import Session

from portal_app.access import Actor
from portal_app.models import Workspace
from portal_app.services.accounts import auth
from portal_app.services.portal import portal_settings, workspaces

SESSION_COOKIE = "portal_session"
# a sign-in waiting for its second factor (services/accounts/auth.py: PendingSignIn), for minutes
PENDING_COOKIE = "portal_2fa"


def _cookie(cookie_header: str | None, name: str) -> str | None:
    try:
        jar = SimpleCookie()
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel and morsel.value else None


def session_token(cookie_header: str | None) -> str | None:
    """Our session token from a Cookie header (None when absent or unreadable): how events
    (BaseState._session_token) and uploads (session_guard.UploadGuard) read it. api/ routes
    take it from Starlette's parsed cookies under the same name."""
    return _cookie(cookie_header, SESSION_COOKIE)


def pending_token(cookie_header: str | None) -> str | None:
    """The pending sign-in's token from a Cookie header (the two-factor code page asks)."""
    return _cookie(cookie_header, PENDING_COOKIE)


def context_for(db: Session, host: str | None, token: str | None) -> tuple[Workspace | None, Actor]:
    """(the workspace the Host reaches or None, the actor behind the token there).

    `host`: the request's one trusted Host (workspaces.request_host). No token, an unknown or
    expired session, one of another workspace or one signed in on another host: Anonymous."""
    ws = workspaces.workspace_for_host(db, host or "")
    return ws, auth.resolve_actor(db, token, ws.id if ws else None, host or "")


# How long a resolved context may be reused without a fresh look-up, at most (its version
# still checked at every use). Short: a session's once-a-minute last_seen touch happens at
# the next full resolve.
CONTEXT_TTL = timedelta(seconds=30)


@dataclass(frozen=True)
class ResolvedContext:
    """Who is calling, where, and the branding they see -- as of `version` of the workspace's
    Workspace.context_version, and not past `good_until` (session expiry, idle limit, TTL)."""
    workspace: workspaces.WorkspaceRef | None
    actor: Actor
    branding: portal_settings.Branding | None
    version: int
    good_until: datetime


_VERSION = sa.text("SELECT context_version, public_id FROM workspace WHERE id = :id")  # compiled once


def still_current(db: Session, ctx: ResolvedContext) -> bool:
    """Whether a context resolved earlier still holds: not past its time, and its workspace
    -- the same one (public id), not a namesake in a restored or other database -- at the same
    context_version (models/context_version.py). One primary-key look-up."""
    if ctx.workspace is None or auth.clock() >= ctx.good_until:
        return False
    row = db.connection().execute(_VERSION, {"id": ctx.workspace.id}).first()
    return row is not None and row[0] == ctx.version and row[1] == ctx.workspace.public_id


def resolve_context(db: Session, host: str | None, token: str | None) -> ResolvedContext:
    """context_for, with the branding and what a cache needs to know when to let it go.

    The version comes with the workspace row, before the rest is read: a change committed
    meanwhile makes the cached answer look stale at its next use, never fresh when it is not."""
    now = auth.clock()
    ws = workspaces.workspace_for_host(db, host or "")
    if ws is None:
        return ResolvedContext(None, auth.resolve_actor(db, token, None), None, 0, now + CONTEXT_TTL)
    ref = workspaces.ref(ws)
    actor, until = auth.resolve_session(db, token, ws.id, host or "")
    good_until = min(until, now + CONTEXT_TTL) if until is not None else now + CONTEXT_TTL
    return ResolvedContext(ref, actor, portal_settings.branding_for(db, ref), ws.context_version, good_until)
