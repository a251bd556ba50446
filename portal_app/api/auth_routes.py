"""Signing in and out: staff and client sign-in set the session cookie, sign-out ends the
session and clears it.

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

from portal_app.access import is_staff
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
from portal_app.services.accounts import auth

log = logging.getLogger("portal.api")


async def _sign_in(request: Request, kind: str) -> Response:
    login_page = "/staff/login" if kind == "staff" else "/login"
    home = "/staff" if kind == "staff" else "/"
    if not same_origin(request):
        return back(login_page, error="origin")
    def sign_in(form: dict) -> str | None:
        with unit_of_work() as db:
            ws_id = workspace_id(db, request)
            if ws_id is None:
                return None
            return auth.sign_in(db, ws_id, kind, form.get("email", ""), form.get("password", ""),
                                ip=client_ip(request), user_agent=request.headers.get("user-agent", ""),
                                host=request_host(request))

    form: dict = {}
    try:
        form = await read_form(request)
        token = await run_in_threadpool(sign_in, form)
    except Throttled:
        return back(login_page, error="throttled")
    except ServiceError:
        await run_in_threadpool(_record_failed_login, request, kind, form)
        return back(login_page, error="invalid")
    if token is None:
        return back(login_page, error="noportal")
    resp = RedirectResponse(safe_next(form.get("next"), home), status_code=303)
    return set_session(resp, token)


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
            return "/staff/login" if is_staff(actor) else "/login"

    resp = clear_session(back(await run_in_threadpool(sign_out), signed_out="1"))
    # Empties the tab's sessionStorage: the signed-out page gets a fresh Reflex tab token
    # (state/session_guard.py has the full story).
    resp.headers["clear-site-data"] = '"storage"'
    return resp
