"""Signing in and out: staff and client sign-in set the session cookie, sign-out ends the
session and clears it; a client's emailed sign-in link (ask for one, open it: see
services/accounts/sign_in_links.py) is bound to the asking browser by the HttpOnly
LINK_NONCE_COOKIE set here.

Every failure redirects back with a fixed error code that the page turns into a human
message. Nothing slow on the event loop: the services are synchronous (SQL, and argon2
hashing that takes tens of milliseconds of CPU on purpose), so every route runs them with
`run_in_threadpool`; one event loop serves every user of a worker.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_app.access import is_staff_person
from portal_app.api._common import (
    clear_session,
    request_context,
    request_host,
    session_of,
    set_session,
    workspace_id,
)
from portal_app.api.forms import back, client_ip, read_form, safe_next, same_origin
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError, Throttled
from portal_app.services.accounts import auth, sign_in_links
from portal_app.services.security import new_token
from portal_app.services.sessions import PENDING_COOKIE
from portal_app.settings import get_settings

log = logging.getLogger("portal.api")


async def _sign_in(request: Request, kind: str) -> Response:
    login_page = "/staff/login" if kind == "staff" else "/login"
    home = "/staff" if kind == "staff" else "/"
    if not same_origin(request):
        return back(login_page, error="origin")
    def sign_in(form: dict) -> str | auth.TwoFactorNeeded | None:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is None:
                return None
            try:
                return auth.sign_in(db, ws_id, kind, form.get("email", ""), form.get("password", ""),
                                    ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
                                    host=request_host(request))
            except auth.TwoFactorNeeded as second_step:
                return second_step  # the pending sign-in commits with this unit of work

    form: dict = {}
    try:
        form = await read_form(request)
        token = await run_in_threadpool(sign_in, form)
    except Throttled:
        return back(login_page, error="throttled")
    except auth.LinkOnly:
        return back(login_page, error="link_only")
    except ServiceError:
        await run_in_threadpool(_record_failed_login, request, kind, form)
        return back(login_page, error="invalid")
    if token is None:
        return back(login_page, error="noportal")
    nxt = safe_next(form.get("next"), home)
    if isinstance(token, auth.TwoFactorNeeded):
        code_page = "/staff/login/two-factor" if token.staff else "/login/two-factor"
        return set_pending(back(code_page, next=nxt if nxt != home else ""), token.pending_token)
    resp = RedirectResponse(nxt, status_code=303)
    return clear_pending(set_session(resp, token))


# The second step of a sign-in: the pending sign-in's token (services/accounts/auth.py) in an
# HttpOnly cookie of its own (sessions.PENDING_COOKIE), for a few minutes; never a session.


def _pending_cookie_kwargs() -> dict:
    return {"httponly": True, "samesite": "lax", "secure": get_settings().secure_cookies, "path": "/"}


def set_pending(resp: Response, token: str) -> Response:
    resp.set_cookie(PENDING_COOKIE, token, max_age=auth.PENDING_MINUTES * 60, **_pending_cookie_kwargs())
    return resp


def clear_pending(resp: Response) -> Response:
    resp.delete_cookie(PENDING_COOKIE, **_pending_cookie_kwargs())
    return resp


async def two_factor(request: Request) -> Response:
    """POST /api/auth/two-factor: the code (or a recovery code) of a pending sign-in. Right:
    the session starts (cookie set, the pending one cleared) and the browser goes on to `next`.
    Wrong: back to the code page (throttled like passwords); expired or unknown: back to
    sign-in."""
    pending = request.cookies.get(PENDING_COOKIE)
    if not same_origin(request):
        return back("/login", error="origin")

    def staff_side() -> bool | None:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            return auth.pending_for_staff(db, ws_id, pending, request_host(request)) if ws_id is not None else None

    def complete(form: dict) -> str:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is None:
                raise auth.SignInExpired()
            return auth.complete_two_factor(db, ws_id, pending, form.get("code", ""), ip=client_ip(request),
                                            host=request_host(request))

    staff = await run_in_threadpool(staff_side)
    if staff is None:
        return clear_pending(back("/login", error="expired"))
    login_page, code_page, home = (("/staff/login", "/staff/login/two-factor", "/staff") if staff
                                   else ("/login", "/login/two-factor", "/"))
    form: dict = {}
    try:
        form = await read_form(request)
        token = await run_in_threadpool(complete, form)
    except auth.SignInExpired:
        return clear_pending(back(login_page, error="expired"))
    except Throttled:
        return back(code_page, error="throttled", next=safe_next(form.get("next"), ""))
    except ServiceError:
        await run_in_threadpool(_record_failed_code, request, pending)
        return back(code_page, error="code", next=safe_next(form.get("next"), ""))
    resp = RedirectResponse(safe_next(form.get("next"), home), status_code=303)
    return clear_pending(set_session(resp, token))


def _record_failed_code(request: Request, pending: str | None) -> None:
    try:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is not None:
                auth.record_failed_second_step(db, ws_id, pending, client_ip(request), request_host(request))
    except Exception:
        log.exception("could not record a failed sign-in code")


def _record_failed_login(request: Request, kind: str, form: dict) -> None:
    """The sign-in transaction rolled back; keep the throttling record anyway."""
    try:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is not None:
                auth.record_failed_sign_in(db, ws_id, form.get("email", ""), client_ip(request))
    except Exception:
        log.exception("could not record a failed sign-in")


async def staff_login(request: Request) -> Response:
    return await _sign_in(request, "staff")


async def client_login(request: Request) -> Response:
    return await _sign_in(request, "client")


async def logout(request: Request) -> Response:
    if not same_origin(request):
        # another site cannot sign anyone out: neither the session nor the cookie is touched
        return back("/login", error="origin")

    def sign_out() -> str:
        with unit_of_work() as db:
            _ws, actor = request_context(db, request)
            auth.sign_out(db, session_of(request))
            return "/staff/login" if is_staff_person(actor) else "/login"

    resp = clear_session(back(await run_in_threadpool(sign_out), signed_out="1"))
    # Empties the tab's sessionStorage: the signed-out page gets a fresh Reflex tab token
    # (state/session_guard.py has the full story).
    resp.headers["clear-site-data"] = '"storage"'
    return resp


# The cookie binding an emailed sign-in link to the browser that asked for it: random, HttpOnly,
# sent only to the route that opens links, and gone when the link's time is up.
LINK_NONCE_COOKIE = "portal_link_nonce"
LINK_PATH = "/api/auth/link"


def _nonce_cookie_kwargs() -> dict:
    return {"httponly": True, "samesite": "lax", "secure": get_settings().secure_cookies, "path": LINK_PATH}


async def request_link(request: Request) -> Response:
    """"Email me a sign-in link": one answer whether or not the address has an account (the
    nonce cookie is set either way too); throttled, with a message that says nothing about
    the address. `from` says which page asked, so the answer shows there."""
    if not same_origin(request):
        return back("/login", error="origin")
    form: dict = {}
    nonce = new_token()

    def ask(form: dict) -> bool:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is None:
                return False
            sign_in_links.request_link(db, ws_id, form.get("email", ""), nonce, ip=client_ip(request),
                                       host=request_host(request))
            return True

    page = "/login"
    try:
        form = await read_form(request)
        page = "/login/link" if form.get("from") == "link" else "/login"
        served = await run_in_threadpool(ask, form)
    except Throttled:  # the refused request is not counted (its transaction rolled back)
        return back(page, error="link_throttled")
    except ServiceError:
        return back(page, error="link_email")
    if not served:
        return back(page, error="noportal")
    resp = back("/login", link="sent")
    resp.set_cookie(LINK_NONCE_COOKIE, nonce, max_age=sign_in_links.LINK_MINUTES * 60, **_nonce_cookie_kwargs())
    return resp


async def open_link(request: Request) -> Response:
    """The emailed link: in the browser that asked, sign in and land on the portal home;
    anywhere else (or used, expired, replaced, forged) the link page says why, with a way to
    get a new link. Never an error page."""
    token = request.query_params.get("token", "")
    nonce = request.cookies.get(LINK_NONCE_COOKIE)

    def run() -> sign_in_links.LinkResult | auth.TwoFactorNeeded:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            try:
                return sign_in_links.open_link(db, token, nonce, workspace_id=ws_id, ip=client_ip(request),
                                               user_agent=request.headers.get("user-agent", ""),
                                               host=request_host(request))
            except auth.TwoFactorNeeded as second_step:
                return second_step  # the link is used up and the pending sign-in kept: both commit

    try:
        result = await run_in_threadpool(run)
    except ServiceError:
        result = sign_in_links.LinkResult("invalid")
    if isinstance(result, auth.TwoFactorNeeded):  # the link was the first factor: now the code
        resp = set_pending(back("/login/two-factor"), result.pending_token)
        resp.delete_cookie(LINK_NONCE_COOKIE, **_nonce_cookie_kwargs())
        return resp
    if result.status != "ok":
        return back("/login/link", reason=result.status)
    resp = set_session(RedirectResponse("/", status_code=303), result.session)
    resp.delete_cookie(LINK_NONCE_COOKIE, **_nonce_cookie_kwargs())
    return resp
