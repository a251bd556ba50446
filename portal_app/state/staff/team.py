"""States of the team page and of accepting a staff invitation."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from portal_app.access import may_change_roles, may_manage_team, may_set_staff_two_factor, require_staff
from portal_app.errors import ServiceError
from portal_app.services.accounts import notifications, team, two_factor
from portal_app.state.auth import FORM_ERRORS
from portal_app.state.base import BaseState


class TeamMemberRow(TypedDict):
    """A team.TeamRow as the team page shows it; `is_me` is "1" for the signed-in user."""
    public_id: str
    name: str
    email: str
    role: str
    status: str
    is_me: str


class TeamState(BaseState):
    rows: list[TeamMemberRow] = []
    can_manage: bool = False
    is_owner: bool = False
    invite_open: bool = False
    invite_error: str = ""
    chat_email: str = "all"  # the signed-in member's own chat emails (all | assigned | none)
    chat_email_error: str = ""
    chat_email_saved: str = ""
    require_two_factor: bool = False  # the workspace requires two-factor sign-in of every staff member
    can_require_two_factor: bool = False  # owners set it
    two_factor_saved: str = ""
    two_factor_error: str = ""

    def _refresh(self, db, actor) -> None:
        staff = require_staff(actor)
        self.rows = [{"public_id": r.public_id, "name": r.name, "email": r.email, "role": r.role,
                      "status": r.status, "is_me": "1" if r.is_me else ""}
                     for r in team.list_team(db, staff)]
        self.can_manage = may_manage_team(staff)
        self.is_owner = may_change_roles(staff)
        self.chat_email = notifications.chat_email_setting(db, staff)
        self.require_two_factor = two_factor.required_for_staff(db, staff.workspace_id)
        self.can_require_two_factor = may_set_staff_two_factor(staff)

    @rx.event
    async def load(self):
        return await self._run(lambda db, ws, actor: self._refresh(db, actor))

    @rx.event
    def set_invite_open(self, value: bool):
        self.invite_open, self.invite_error = bool(value), ""

    @rx.event
    async def invite(self, form: dict):
        def work(db, ws, actor):
            team.invite_staff(db, actor, email=str(form.get("email", "")), name=str(form.get("name", "")),
                              role=str(form.get("role", "member")))
            self._refresh(db, actor)
            self.invite_open, self.invite_error = False, ""
            self._notify(f"Invitation sent to {str(form.get('email', '')).strip()}.")

        def failed(exc: ServiceError):
            self.invite_error = exc.message

        return await self._run(work, on_error=failed)

    async def _act(self, fn, done: str):
        def work(db, ws, actor):
            fn(db, actor)
            self._refresh(db, actor)
            self._notify(done)

        return await self._run(work)

    @rx.event
    async def revoke_invite(self, row_id: str):
        return await self._act(lambda db, a: team.revoke_staff_invite(db, a, str(row_id)), "Invitation withdrawn.")

    @rx.event
    async def change_role(self, public_id: str, role: str):
        return await self._act(lambda db, a: team.set_role(db, a, str(public_id), str(role)), "Role changed.")

    @rx.event
    async def disable(self, public_id: str):
        return await self._act(lambda db, a: team.set_disabled(db, a, str(public_id), True),
                         "Account disabled; its sessions ended.")

    @rx.event
    async def enable(self, public_id: str):
        return await self._act(lambda db, a: team.set_disabled(db, a, str(public_id), False), "Account enabled.")


    @rx.event
    async def choose_chat_email(self, value: str):
        """The signed-in member's own chat emails, saved as chosen."""
        def work(db, ws, actor):
            self.chat_email = notifications.set_chat_email(db, actor, value)
            self.chat_email_error = ""
            self.chat_email_saved = "Saved: " + notifications.CHAT_EMAIL_CHOICES[self.chat_email] + "."

        def failed(exc: ServiceError):
            self.chat_email_error, self.chat_email_saved = exc.message, ""

        return await self._run(work, on_error=failed)


    @rx.event
    async def choose_staff_two_factor(self, value: bool):
        def work(db, ws, actor):
            two_factor.set_required_for_staff(db, actor, bool(value))
            self.require_two_factor = two_factor.required_for_staff(db, ws.id)
            self.two_factor_error = ""
            self.two_factor_saved = ("Every staff member now signs in with two-factor; those without it set it up "
                                     "at their next page." if self.require_two_factor
                                     else "Two-factor sign-in is now each staff member's choice.")

        def failed(exc: ServiceError):
            self.two_factor_error, self.two_factor_saved = exc.message, ""

        return await self._run(work, on_error=failed)


class JoinState(BaseState):
    status: str = "checking"
    message: str = ""
    error: str = ""
    token: str = ""  # already in the visitor's address bar; the form posts it back
    invitee_name: str = ""
    invitee_email: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.token = self._query("token")
            status, inv = team.check_staff_invite(db, self.token)
            if status == "valid" and (ws is None or inv is None or inv.workspace_id != ws.id):
                status, inv = "invalid", None
            reason = self._query("reason")
            if reason in team.STAFF_INVITE_MESSAGES:
                status = reason
            self.status = status
            self.message = team.STAFF_INVITE_MESSAGES.get(status, "")
            self.error = FORM_ERRORS.get(reason, "") if reason and reason not in team.STAFF_INVITE_MESSAGES else ""
            self.invitee_name = inv.name if inv and status == "valid" else ""
            self.invitee_email = inv.email if inv and status == "valid" else ""

        return await self._run(work)
