"""Native form posts (see components/native_form.py): the CSRF origin check, the size-bound
body, the redirect back with a fixed code, the same-site `next`, and the caller's address
for throttling. No route echoes user input into a page."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse

from portal_app.api._common import request_host
from portal_app.errors import ServiceError
from portal_app.services.portal import origins, workspaces
from portal_app.settings import get_settings

MAX_FORM_BYTES = 16 * 1024


def back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def safe_next(value: str | None, default: str) -> str:
    """Only same-site paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def client_ip(request: Request) -> str:
    """The peer's address; behind PORTAL_TRUSTED_PROXY_HOPS proxies, the address the
    outermost trusted proxy saw (X-Forwarded-For is read from the right, never trusted
    further than configured, so a client cannot pick its own throttling key)."""
    peer = request.client.host if request.client else ""
    hops = get_settings().trusted_proxy_hops
    if hops <= 0:
        return peer
    chain = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p.strip()]
    return chain[-hops] if len(chain) >= hops else peer


def same_origin(request: Request) -> bool:
    """CSRF guard for form posts: Origin (or Referer) must be a configured origin
    (settings.cors_origins), or a served domain's (services/portal/origins.py: https; plain
    http only on a local install) that is this request's own host -- a page of one domain
    posts nothing to another. An unverified, removed or unknown domain's page posts nothing."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source:
        return False
    try:
        parts = urlsplit(source)
        hostname = parts.hostname
    except ValueError:
        return False
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin in get_settings().cors_origins:
        return True
    return (hostname is not None and hostname == workspaces.hostname_of(request_host(request))
            and origins.origin_allowed(origin))


async def read_form(request: Request) -> dict[str, str]:
    """The posted form, refused past MAX_FORM_BYTES however the body is sent (chunked too)."""
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise ServiceError("The form could not be read.") from None
    if declared > MAX_FORM_BYTES:
        raise ServiceError("The form was too large.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ServiceError("The form was too large.")
    request._body = bytes(body)  # Starlette parses the form from the cached body
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}
