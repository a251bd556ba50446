"""Becoming someone with a password: first-run setup (the first workspace and its owner),
and the three "choose a password from an emailed link" forms (a client's invitation, a
password reset, joining the staff). Each ends signed in: the session cookie is set here.

Failures redirect back with a fixed reason code for the page's message table; the page
never shows raw query text. Services run with `run_in_threadpool` (see auth_routes.py).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portal_app.api._common import request_host, set_session, workspace_id
from portal_app.api.forms import back, client_ip, read_form, same_origin
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.accounts import auth, invites, passwords, team
from portal_app.services.portal import workspaces
from portal_app.settings import get_settings


async def setup(request: Request) -> Response:
    if not same_origin(request):
        return back("/setup", error="origin")
    try:
        form = await read_form(request)
        if form.get("password", "") != form.get("confirm", ""):
            return back("/setup", error="mismatch")

        def first_run() -> str:
            with unit_of_work() as db:
                ws, owner = workspaces.first_run_setup(
                    db, base_url=get_settings().base_url, name=form.get("workspace_name", ""),
                    owner_email=form.get("email", ""), owner_name=form.get("name", ""),
                    owner_password=form.get("password", ""))
                return auth.start_staff_session(db, owner, ip=client_ip(request),
                                                user_agent=request.headers.get("user-agent", ""),
                                                host=request_host(request))

        token = await run_in_threadpool(first_run)
    except ServiceError as exc:
        # a field name, or the kind of refusal (e.g. "forbidden": already set up)
        return back("/setup", error=exc.field or _code_of(exc), msg_code=_code_of(exc))
    return set_session(RedirectResponse("/staff", status_code=303), token)


def _code_of(exc: ServiceError) -> str:
    return type(exc).__name__.lower()


async def _redeem_link(request: Request, page: str, messages: dict[str, str], redeem) -> Response:
    """The three "choose a password from an emailed link" forms (invitation, password reset,
    joining the staff): check the origin, run `redeem(db, token, password, confirm, ws_id,
    ip, user_agent, host, form) -> (target, session token)`, set the cookie; on failure go back to
    `page` with a fixed reason code for its message table."""
    form: dict = {}
    try:
        form = await read_form(request)
        token = form.get("token", "")
        if not same_origin(request):
            return back(page, token=token, error="origin", reason="origin")

        def run() -> tuple[str, str] | None:
            with unit_of_work() as db:
                ws_id = workspace_id(db, request)
                if ws_id is None:
                    return None
                return redeem(db, token, form.get("password", ""), form.get("confirm", ""),
                              ws_id, client_ip(request), request.headers.get("user-agent", ""),
                              request_host(request), form)

        redeemed = await run_in_threadpool(run)
    except ServiceError as exc:
        return back(page, token=form.get("token", ""), error=exc.field or "invalid",
                    reason=_reason(exc, messages))
    if redeemed is None:  # like sign-in: no portal answers at this host
        return back(page, token=token, error="noportal", reason="noportal")
    target, session_token = redeemed
    return set_session(RedirectResponse(target, status_code=303), session_token)


def _reason(exc: ServiceError, messages: dict[str, str]) -> str:
    """A fixed code for the page's message table; the page never shows raw query text."""
    for code, text in messages.items():
        if exc.message == text:
            return code
    return {"password": "weak", "confirm": "mismatch", "link_only": "link_only_invite"}.get(exc.field or "", "other")


async def accept_invite(request: Request) -> Response:
    """The invitation's form: `method` "password" (with password and confirm) or "link"
    (no password: the client signs in by an emailed link each time)."""
    def redeem(db, token, password, confirm, ws_id, ip, ua, host, form):
        return "/?welcome=1", invites.accept_invite(db, token, password, confirm, workspace_id=ws_id,
                                                   ip=ip, user_agent=ua, host=host,
                                                   method=form.get("method", "password"))

    return await _redeem_link(request, "/invite", invites.INVITE_MESSAGES, redeem)


async def reset_password(request: Request) -> Response:
    def redeem(db, token, password, confirm, ws_id, ip, ua, host, form):
        kind, session = passwords.reset_password(db, token, password, confirm, workspace_id=ws_id,
                                                 ip=ip, user_agent=ua, host=host)
        return ("/staff?password_changed=1" if kind == "staff" else "/?password_changed=1"), session

    return await _redeem_link(request, "/reset-password", passwords.RESET_MESSAGES, redeem)


async def join_staff(request: Request) -> Response:
    def redeem(db, token, password, confirm, ws_id, ip, ua, host, form):
        return "/staff/contacts", team.accept_staff_invite(db, token, password, confirm, workspace_id=ws_id,
                                                          ip=ip, user_agent=ua, host=host)

    return await _redeem_link(request, "/staff/join", team.STAFF_INVITE_MESSAGES, redeem)
