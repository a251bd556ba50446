"""What the api/ routes share: who is calling (the workspace from the Host, the actor from
the session cookie: services/sessions.py, as for every Reflex event), the session cookie
as routes set and clear it, and the plain 404 of the download routes.

Route modules import this (never each other, never routes.py) for these."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from portal_app.access import Actor
from portal_app.models import Workspace
from portal_app.services.portal import workspaces
from portal_app.services.sessions import SESSION_COOKIE, context_for
from portal_app.settings import get_settings

NO_STORE = "private, no-store"


def session_of(request: Request) -> str | None:
    """The session token the request's cookie carries."""
    return request.cookies.get(SESSION_COOKIE)


def request_context(db: Session, request: Request) -> tuple[Workspace | None, Actor]:
    """(workspace or None, actor) for this request, in the caller's unit of work."""
    return context_for(db, request.headers.get("host", ""), session_of(request))


def workspace_id(db: Session, request: Request) -> int | None:
    """The workspace the Host reaches, for routes that start a session rather than read one."""
    ws = workspaces.workspace_for_host(db, request.headers.get("host", ""))
    return ws.id if ws else None


def _cookie_kwargs() -> dict:
    return {"httponly": True, "samesite": "lax", "secure": get_settings().secure_cookies, "path": "/"}


def set_session(resp: Response, token: str) -> Response:
    """The only way the session cookie is set (sign-in, first-run setup, the emailed links)."""
    resp.set_cookie(SESSION_COOKIE, token, max_age=get_settings().session_max_hours * 3600,
                    **_cookie_kwargs())
    return resp


def clear_session(resp: Response) -> Response:
    resp.delete_cookie(SESSION_COOKIE, **_cookie_kwargs())
    return resp


def not_found() -> Response:
    """What any object that is not the caller's to see answers, like one that does not exist."""
    return Response("Not found", status_code=404, media_type="text/plain", headers={"cache-control": NO_STORE})
