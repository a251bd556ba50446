"""Who is calling: the session cookie's name, reading our token from a Cookie header, and the
(workspace, actor) a request resolves to -- the workspace from its Host, the actor from its
session token on that workspace (services/auth.resolve_actor).

The one place for this, below both state/ (events, uploads, the session guard) and api/
(every route): neither imports the other for it. Plain Python: no Reflex, no Starlette.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from sqlmodel import Session

from portal_app.access import Actor
from portal_app.models import Workspace
from portal_app.services.accounts import auth
from portal_app.services.portal import workspaces

SESSION_COOKIE = "portal_session"


def session_token(cookie_header: str | None) -> str | None:
    """Our session token from a Cookie header (None when absent or unreadable): how events
    (BaseState._session_token) and uploads (session_guard.UploadGuard) read it. api/ routes
    take it from Starlette's parsed cookies under the same name."""
    try:
        jar = SimpleCookie()
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel and morsel.value else None


def context_for(db: Session, host: str | None, token: str | None) -> tuple[Workspace | None, Actor]:
    """(the workspace the Host reaches or None, the actor behind the token there).

    No token, an unknown or expired session, or one of another workspace: Anonymous."""
    ws = workspaces.workspace_for_host(db, host or "")
    return ws, auth.resolve_actor(db, token, ws.id if ws else None)
