"""HTTP routes: sign-in/out (the only places the session cookie is set), first-run setup,
accepting an invitation, the workspace logo and health.

Forms on Reflex pages post here natively (see components/native_form.py); every failure
redirects back with a fixed error code that the page turns into a human message. No route
echoes user input into a page.

Nothing slow on the event loop: the services are synchronous (SQL, and argon2 hashing that
takes tens of milliseconds of CPU on purpose), so every route runs them with
`run_in_threadpool`; one event loop serves every user of a worker.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..access import is_staff
from ..db import get_engine, unit_of_work
from ..errors import ServiceError, Throttled
from ..services import auth, invites, passwords, portal_settings, team, workspaces
from ..settings import get_settings

log = logging.getLogger("portal.api")

SESSION_COOKIE = "portal_session"
MAX_FORM_BYTES = 16 * 1024


def _cookie_kwargs() -> dict:
    return {"httponly": True, "samesite": "lax", "secure": get_settings().secure_cookies, "path": "/"}


def _set_session(resp: Response, token: str) -> Response:
    resp.set_cookie(SESSION_COOKIE, token, max_age=get_settings().session_max_hours * 3600,
                    **_cookie_kwargs())
    return resp


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _safe_next(value: str | None, default: str) -> str:
    """Only same-site paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def _client_ip(request: Request) -> str:
    """The peer's address; behind PORTAL_TRUSTED_PROXY_HOPS proxies, the address the
    outermost trusted proxy saw (X-Forwarded-For is read from the right, never trusted
    further than configured, so a client cannot pick its own throttling key)."""
    peer = request.client.host if request.client else ""
    hops = get_settings().trusted_proxy_hops
    if hops <= 0:
        return peer
    chain = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p.strip()]
    return chain[-hops] if len(chain) >= hops else peer


def _same_origin(request: Request) -> bool:
    """CSRF guard for form posts: Origin (or Referer) must be this host or a configured origin."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source:
        return False
    parts = urlsplit(source)
    origin = f"{parts.scheme}://{parts.netloc}"
    settings = get_settings()
    if origin in settings.cors_origins:
        return True
    # Same host; and a deployment served over https accepts no plain-http origin.
    return (parts.netloc == request.headers.get("host", "")
            and (parts.scheme == "https" or not settings.secure_cookies))


async def _form(request: Request) -> dict[str, str]:
    """The posted form, refused past MAX_FORM_BYTES however the body is sent (chunked too)."""
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise ServiceError("The form could not be read.")
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


def _workspace_id(db, request: Request) -> int | None:
    ws = workspaces.workspace_for_host(db, request.headers.get("host", ""))
    return ws.id if ws else None


async def health(request: Request) -> Response:
    try:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


async def _sign_in(request: Request, kind: str) -> Response:
    login_page = "/staff/login" if kind == "staff" else "/login"
    home = "/staff" if kind == "staff" else "/"
    if not _same_origin(request):
        return _back(login_page, error="origin")
    def sign_in(form: dict) -> str | None:
        with unit_of_work() as db:
            ws_id = _workspace_id(db, request)
            if ws_id is None:
                return None
            return auth.sign_in(db, ws_id, kind, form.get("email", ""), form.get("password", ""),
                                ip=_client_ip(request), user_agent=request.headers.get("user-agent", ""))

    form: dict = {}
    try:
        form = await _form(request)
        token = await run_in_threadpool(sign_in, form)
    except Throttled:
        return _back(login_page, error="throttled")
    except ServiceError:
        await run_in_threadpool(_record_failed_login, request, kind, form)
        return _back(login_page, error="invalid")
    if token is None:
        return _back(login_page, error="noportal")
    resp = RedirectResponse(_safe_next(form.get("next"), home), status_code=303)
    return _set_session(resp, token)


def _record_failed_login(request: Request, kind: str, form: dict) -> None:
    """The sign-in transaction rolled back; keep the throttling record anyway."""
    try:
        with unit_of_work() as db:
            ws_id = _workspace_id(db, request)
            if ws_id is not None:
                auth.record_failed_sign_in(db, ws_id, form.get("email", ""), _client_ip(request))
    except Exception:  # noqa: BLE001
        log.exception("could not record a failed sign-in")


async def staff_login(request: Request) -> Response:
    return await _sign_in(request, "staff")


async def client_login(request: Request) -> Response:
    return await _sign_in(request, "client")


async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not _same_origin(request):
        # another site cannot sign anyone out: neither the session nor the cookie is touched
        return _back("/login", error="origin")

    def sign_out() -> str:
        with unit_of_work() as db:
            ws_id = _workspace_id(db, request)
            actor = auth.resolve_actor(db, token, ws_id)
            auth.sign_out(db, token)
            return "/staff/login" if is_staff(actor) else "/login"

    resp = _back(await run_in_threadpool(sign_out), signed_out="1")
    resp.delete_cookie(SESSION_COOKIE, **_cookie_kwargs())
    # Empties the tab's sessionStorage: the signed-out page gets a fresh Reflex tab token
    # (state/session_guard.py has the full story).
    resp.headers["clear-site-data"] = '"storage"'
    return resp


async def setup(request: Request) -> Response:
    if not _same_origin(request):
        return _back("/setup", error="origin")
    try:
        form = await _form(request)
        if form.get("password", "") != form.get("confirm", ""):
            return _back("/setup", error="mismatch")

        def first_run() -> str:
            with unit_of_work() as db:
                ws, owner = workspaces.first_run_setup(
                    db, base_url=get_settings().base_url, name=form.get("workspace_name", ""),
                    owner_email=form.get("email", ""), owner_name=form.get("name", ""),
                    owner_password=form.get("password", ""))
                return auth.start_staff_session(db, owner, ip=_client_ip(request),
                                                user_agent=request.headers.get("user-agent", ""))

        token = await run_in_threadpool(first_run)
    except ServiceError as exc:
        # a field name, or the kind of refusal (e.g. "forbidden": already set up)
        return _back("/setup", error=exc.field or _code_of(exc), msg_code=_code_of(exc))
    return _set_session(RedirectResponse("/staff", status_code=303), token)


def _code_of(exc: ServiceError) -> str:
    return type(exc).__name__.lower()


async def _redeem_link(request: Request, page: str, messages: dict[str, str], redeem) -> Response:
    """The three "choose a password from an emailed link" forms (invitation, password reset,
    joining the staff): check the origin, run `redeem(db, token, password, confirm, ws_id,
    ip, user_agent) -> (target, session token)`, set the cookie; on failure go back to
    `page` with a fixed reason code for its message table."""
    form: dict = {}
    try:
        form = await _form(request)
        token = form.get("token", "")
        if not _same_origin(request):
            return _back(page, token=token, error="origin", reason="origin")

        def run() -> tuple[str, str] | None:
            with unit_of_work() as db:
                ws_id = _workspace_id(db, request)
                if ws_id is None:
                    return None
                return redeem(db, token, form.get("password", ""), form.get("confirm", ""),
                              ws_id, _client_ip(request), request.headers.get("user-agent", ""))

        redeemed = await run_in_threadpool(run)
    except ServiceError as exc:
        return _back(page, token=form.get("token", ""), error=exc.field or "invalid",
                     reason=_reason(exc, messages))
    if redeemed is None:  # like sign-in: no portal answers at this host
        return _back(page, token=token, error="noportal", reason="noportal")
    target, session_token = redeemed
    return _set_session(RedirectResponse(target, status_code=303), session_token)


def _reason(exc: ServiceError, messages: dict[str, str]) -> str:
    """A fixed code for the page's message table; the page never shows raw query text."""
    for code, text in messages.items():
        if exc.message == text:
            return code
    return {"password": "weak", "confirm": "mismatch"}.get(exc.field or "", "other")


async def accept_invite(request: Request) -> Response:
    def redeem(db, token, password, confirm, ws_id, ip, ua):
        return "/?welcome=1", invites.accept_invite(db, token, password, confirm, workspace_id=ws_id,
                                                   ip=ip, user_agent=ua)

    return await _redeem_link(request, "/invite", invites.INVITE_MESSAGES, redeem)


async def reset_password(request: Request) -> Response:
    def redeem(db, token, password, confirm, ws_id, ip, ua):
        kind, session = passwords.reset_password(db, token, password, confirm, workspace_id=ws_id,
                                                 ip=ip, user_agent=ua)
        return ("/staff?password_changed=1" if kind == "staff" else "/?password_changed=1"), session

    return await _redeem_link(request, "/reset-password", passwords.RESET_MESSAGES, redeem)


async def join_staff(request: Request) -> Response:
    def redeem(db, token, password, confirm, ws_id, ip, ua):
        return "/staff/contacts", team.accept_staff_invite(db, token, password, confirm, workspace_id=ws_id,
                                                          ip=ip, user_agent=ua)

    return await _redeem_link(request, "/staff/join", team.STAFF_INVITE_MESSAGES, redeem)


async def logo(request: Request) -> Response:
    try:
        with unit_of_work() as db:
            data, content_type = portal_settings.logo_bytes(db, request.path_params["workspace"])
    except Exception:  # noqa: BLE001 - a missing or unreadable logo is a plain 404
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(data, media_type=content_type, headers={
        "cache-control": "public, max-age=86400",
        "content-security-policy": "default-src 'none'; sandbox",
    })


def build_api() -> Starlette:
    from . import files as files_api
    from . import documents as documents_api
    from . import invoices as invoices_api
    from . import payments as payments_api

    return Starlette(routes=[
        Route("/api/health", health, methods=["GET"]),
        Route("/api/auth/staff/login", staff_login, methods=["POST"]),
        Route("/api/auth/client/login", client_login, methods=["POST"]),
        Route("/api/auth/logout", logout, methods=["POST"]),
        Route("/api/setup", setup, methods=["POST"]),
        Route("/api/invite/accept", accept_invite, methods=["POST"]),
        Route("/api/auth/reset", reset_password, methods=["POST"]),
        Route("/api/staff/join", join_staff, methods=["POST"]),
        Route("/api/logo/{workspace}", logo, methods=["GET"]),
        Route("/api/files/{file}/download", files_api.download, methods=["GET"]),
        Route("/api/files/{file}/preview", files_api.preview, methods=["GET"]),
        Route("/api/invoices/{invoice}/pdf", invoices_api.download_pdf, methods=["GET"]),
        Route("/api/documents/{document}/pages/{page}", documents_api.page, methods=["GET"]),
        Route("/api/documents/{document}/original", documents_api.original, methods=["GET"]),
        Route("/api/documents/{document}/completed", documents_api.completed, methods=["GET"]),
        Route("/api/stripe/webhook/{workspace}", payments_api.stripe_webhook, methods=["POST"]),
    ])


# Every route and who may call it; tests/unit/test_authz_matrix.py checks this list against
# build_api() so that a new route without a matrix row fails.
ROUTES = {
    ("GET", "/api/health"): "public",
    ("POST", "/api/auth/staff/login"): "public (credentials)",
    ("POST", "/api/auth/client/login"): "public (credentials)",
    ("POST", "/api/auth/logout"): "any session",
    ("POST", "/api/setup"): "public, only before a workspace exists",
    ("POST", "/api/invite/accept"): "holder of a valid invitation token",
    ("POST", "/api/auth/reset"): "holder of a valid password-reset token",
    ("POST", "/api/staff/join"): "holder of a valid staff invitation token",
    ("GET", "/api/logo/{workspace}"): "public branding",
    ("GET", "/api/files/{file}/download"): "staff of the workspace; a client the file is shared with",
    ("GET", "/api/files/{file}/preview"): "as download, PDFs and raster images only",
    ("GET", "/api/invoices/{invoice}/pdf"): "staff of the workspace; the invoice's own client (never a draft)",
    ("POST", "/api/stripe/webhook/{workspace}"): "Stripe: a valid signature with that workspace's webhook secret",
    ("GET", "/api/documents/{document}/pages/{page}"): "staff of the workspace; the document's client signer (never a draft)",
    ("GET", "/api/documents/{document}/original"): "staff of the workspace",
    ("GET", "/api/documents/{document}/completed"): "staff of the workspace; its client signer once completed",
}
