"""What the api/ routes share: who is calling (the workspace from the Host, the actor from
the session cookie: services/sessions.py, as for every Reflex event), the session cookie
as routes set and clear it, the plain 404 of the download routes and the streamed blob
(with one byte range) they answer with.

Route modules import this (never each other, never routes.py) for these."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlmodel import Session
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from portal_app.access import Actor
from portal_app.adapters.storage import StorageError
from portal_app.api import ranges
from portal_app.models import Workspace
from portal_app.services.portal import workspaces
from portal_app.services.sessions import SESSION_COOKIE, context_for
from portal_app.settings import get_settings

NO_STORE = "private, no-store"
log = logging.getLogger("portal.api")

# what a PDF or raster image shown inline in our origin may do (file previews, chat attachments)
PREVIEW_CSP = {
    "application/pdf": "default-src 'none'; frame-ancestors 'self'",
    "image": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'",
}


def session_of(request: Request) -> str | None:
    """The session token the request's cookie carries."""
    return request.cookies.get(SESSION_COOKIE)


def request_host(request: Request) -> str:
    """The one Host this request names ("" for none we trust: two Host headers; see
    workspaces.request_host for X-Forwarded-Host behind PORTAL_TRUSTED_PROXY_HOPS proxies)."""
    return workspaces.request_host(request.headers.getlist("host"), request.headers.getlist("x-forwarded-host"),
                                   get_settings().trusted_proxy_hops)


def request_context(db: Session, request: Request) -> tuple[Workspace | None, Actor]:
    """(workspace or None, actor) for this request, in the caller's unit of work."""
    return context_for(db, request_host(request), session_of(request))


def workspace_id(db: Session, request: Request) -> int | None:
    """The workspace the Host reaches, for routes that start a session rather than read one."""
    ws = workspaces.workspace_for_host(db, request_host(request))
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


class Blob(Protocol):
    """What stream_blob needs of a download (services' Download / AttachmentFile)."""

    @property
    def key(self) -> str: ...

    @property
    def size(self) -> int: ...


async def stream_blob(request: Request, storage, dl: Blob, media_type: str, headers: dict[str, str]) -> Response:
    """The blob, or the one byte range asked for (206; 416 past the end), streamed."""
    sha256 = getattr(dl, "sha256", "")
    etag = f'"{sha256}"' if sha256 else ""
    headers = {**headers, "cache-control": NO_STORE, "accept-ranges": "bytes"}
    if etag:
        headers["etag"] = etag
    try:
        wanted = ranges.requested_range(request.headers.get("range"), dl.size,
                                        if_range=request.headers.get("if-range"), etag=etag)
    except ranges.Unsatisfiable:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{dl.size}"})
    first, last = wanted or (0, dl.size - 1)
    try:
        chunks = await run_in_threadpool(storage.iter_chunks, dl.key, first, last if wanted else None)
    except StorageError:
        log.error("%s is listed but its blob is missing", request.url.path)
        return not_found()
    headers["content-length"] = str(last - first + 1)
    if wanted:
        headers["content-range"] = f"bytes {first}-{last}/{dl.size}"
    return StreamingResponse(iterate_in_threadpool(chunks), status_code=206 if wanted else 200,
                             media_type=media_type, headers=headers)
