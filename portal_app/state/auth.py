"""States of the pages anyone can open: sign-in, first-run setup, invitation, email confirm."""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_client, is_staff
from portal_app.errors import ServiceError, Throttled
from portal_app.services.accounts import invites, passwords, profile, sign_in_links
from portal_app.services.accounts.auth import BAD_LOGIN, LINK_ONLY, client_link_only
from portal_app.services.portal import workspaces
from portal_app.services.security import PASSWORD_MIN
from portal_app.state.base import BaseState

FORM_ERRORS = {
    "invalid": BAD_LOGIN,
    "throttled": Throttled.message,
    "origin": "This form was not sent from this site. Please try again.",
    "noportal": "There is no portal at this address.",
    "mismatch": "The two passwords do not match.",
    "weak": f"Use a password of at least {PASSWORD_MIN} characters.",
    "password": f"Use a password of at least {PASSWORD_MIN} characters.",
    "owner_email": "Enter a valid email address (name@example.com).",
    "owner_name": "Enter your name.",
    "workspace_name": "Enter your business name (at most 120 characters).",
    "forbidden": "This portal is already set up. Sign in instead.",
    "other": "That did not work. Please try again.",
    "link_only": LINK_ONLY,
    "link_only_invite": invites.LINK_ONLY_INVITE,
    "link_throttled": sign_in_links.THROTTLED,
    "link_email": sign_in_links.BAD_EMAIL,
    "expired": "Your sign-in took too long. Please enter your email and password again.",
}


class LoginState(BaseState):
    error: str = ""
    notice: str = ""
    next_path: str = ""
    # clients of this workspace sign in by email link only: no password form
    link_only: bool = False

    async def _load(self, staff: bool):
        def work(db, ws, actor):
            self.error = FORM_ERRORS.get(self._query("error"), "")
            self.notice = "You have signed out." if self._query("signed_out") else ""
            if not staff and self._query("link") == "sent":
                self.notice = sign_in_links.SENT
            self.link_only = bool(not staff and ws is not None and client_link_only(db, ws.id))
            nxt = self._query("next")
            self.next_path = nxt if nxt.startswith("/") and not nxt.startswith("//") else ""
            if workspaces.needs_setup(db):  # a fresh install: the first visitor sets it up
                return rx.redirect("/setup")
            if is_staff(actor) and staff:
                return rx.redirect(self.next_path or "/staff")
            if is_client(actor) and not staff:
                return rx.redirect(self.next_path or "/")
            return None

        return await self._run(work)

    @rx.event
    async def load_client(self):
        return await self._load(staff=False)

    @rx.event
    async def load_staff(self):
        return await self._load(staff=True)


class SignInLinkState(BaseState):
    """/login/link: why an emailed sign-in link did not sign this browser in, and a form to
    send a new link from here. Shows only fixed messages (the query carries a code)."""

    reason: str = ""
    heading: str = "Send a sign-in link"
    message: str = ""
    error: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            reason = self._query("reason")
            self.error = FORM_ERRORS.get(self._query("error"), "")
            if reason not in sign_in_links.LINK_MESSAGES:
                reason = "" if self.error else "invalid"
            self.reason = reason
            self.message = sign_in_links.LINK_MESSAGES.get(reason, "")
            self.heading = ("This link was asked for in another browser" if reason == "other_browser"
                            else "This sign-in link cannot be used" if reason else "Send a sign-in link")
            return None

        return await self._run(work)


class SetupState(BaseState):
    error: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if not workspaces.needs_setup(db):
                return rx.redirect("/staff/login")
            self.error = FORM_ERRORS.get(self._query("error"), "")
            return None

        return await self._run(work)


class InviteState(BaseState):
    status: str = "checking"  # checking | valid | expired | used | replaced | revoked | invalid
    message: str = ""
    error: str = ""
    invitee_name: str = ""
    invitee_email: str = ""
    requested: bool = False
    token: str = ""  # already in the visitor's address bar; the accept form posts it back
    link_only: bool = False  # the workspace's clients sign in by email link only: no password choice

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.token = self._query("token")
            self.requested = False
            self.link_only = bool(ws is not None and client_link_only(db, ws.id))
            check = invites.check_invite(db, self.token)
            if check.status == "valid" and (ws is None or check.workspace_id != ws.id):
                check = invites.InviteCheck("invalid")  # a link for another workspace's portal
            self.status = check.status
            self.message = invites.INVITE_MESSAGES.get(check.status, "")
            self.invitee_name = check.contact_name
            self.invitee_email = check.email
            reason = self._query("reason")
            self.error = invites.INVITE_MESSAGES.get(reason) or FORM_ERRORS.get(reason, "") if reason else ""
            if reason in invites.INVITE_MESSAGES:
                self.status, self.message, self.error = reason, invites.INVITE_MESSAGES[reason], ""
            return None

        return await self._run(work)

    @rx.event
    async def request_new(self):
        def work(db, ws, actor):
            invites.request_new_invite(db, self.token)
            self.requested = True  # the same answer whether or not the link was known

        return await self._run(work)


class ConfirmEmailState(BaseState):
    status: str = "ready"  # ready | done | error
    message: str = ""
    new_email: str = ""

    @rx.event
    async def load(self):
        self.status, self.message, self.new_email = "ready", "", ""
        return await self._run(lambda db, ws, actor: None)

    @rx.event
    async def confirm(self):
        token = self._query("token")

        def work(db, ws, actor):
            self.new_email = profile.confirm_email_change(db, token)
            self.status = "done"

        def failed(exc: ServiceError):
            self.status, self.message = "error", exc.message

        return await self._run(work, on_error=failed)


class ForgotPasswordState(BaseState):
    """Asking for a password link. The answer is the same whether or not the address has an
    account, and the page never says which."""

    sent_to: str = ""
    error: str = ""
    staff_side: bool = False

    @rx.event
    async def load(self):
        self.sent_to, self.error = "", ""
        self.staff_side = (self.router.url.path or "").startswith("/staff")
        return await self._run(lambda db, ws, actor: None)

    @rx.event
    async def request(self, form: dict):
        kind = "staff" if (self.router.url.path or "").startswith("/staff") else "client"

        def work(db, ws, actor):
            if ws is None:
                self.error = FORM_ERRORS["noportal"]
                return
            email = str(form.get("email", ""))[:300]
            passwords.request_reset(db, ws.id, kind, email)
            self.error, self.sent_to = "", email.strip()

        def failed(exc: ServiceError):
            self.error, self.sent_to = exc.message, ""

        return await self._run(work, on_error=failed)


class ResetPasswordState(BaseState):
    status: str = "checking"  # checking | valid | expired | used | replaced | invalid
    message: str = ""
    error: str = ""
    token: str = ""  # already in the visitor's address bar; the form posts it back
    forgot_href: str = "/forgot-password"

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.token = self._query("token")
            check = passwords.check_reset(db, self.token)
            if check.status == "valid" and (ws is None or check.workspace_id != ws.id):
                check = passwords.ResetCheck("invalid")
            reason = self._query("reason")
            if reason in passwords.RESET_MESSAGES:
                check = passwords.ResetCheck(reason, check.kind, check.workspace_id)
            self.status = check.status
            self.message = passwords.RESET_MESSAGES.get(check.status, "")
            self.error = FORM_ERRORS.get(reason, "") if reason not in passwords.RESET_MESSAGES else ""
            self.forgot_href = "/staff/forgot-password" if check.kind == "staff" else "/forgot-password"

        return await self._run(work)
