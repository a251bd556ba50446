"""The Security page, for clients (/security) and staff (/staff/security): one's own open
sessions (Sign out one, Sign out everywhere else) and a new password after the current one.
Every handler acts on the signed-in person's own account only (services/accounts/my_sessions.py,
credentials.py; the rules: access.require_own_account, owns_session)."""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_staff
from portal_app.db import unit_of_work
from portal_app.errors import ServiceError
from portal_app.services.accounts import credentials, my_sessions
from portal_app.state.base import BaseState


def record_wrong_password(exc: ServiceError) -> None:
    """A wrong current password is counted for the throttle, in a transaction of its own
    (the handler's rolled back): called from a handler's on_error, in its event thread."""
    if isinstance(exc, credentials.WrongPassword):
        with unit_of_work() as db:
            credentials.record_wrong_password(db, exc.throttle_key)


class SecurityState(BaseState):
    sessions: list[my_sessions.SessionView] = []
    total: int = 0
    loaded: bool = False
    sessions_error: str = ""
    sessions_notice: str = ""
    pw_error: str = ""
    pw_field: str = ""
    pw_notice: str = ""

    def _staff_page(self) -> bool:
        return (self.router.url.path or "").startswith("/staff")

    def _refresh(self, db, actor) -> None:
        rows, total = my_sessions.list_sessions(db, actor)
        self.sessions, self.total, self.loaded = rows, total, True

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor) and not self._staff_page():
                return rx.redirect("/staff/security")  # staff keep their page in the staff area
            self._assign(sessions_error="", sessions_notice="", pw_error="", pw_field="", pw_notice="")
            self._refresh(db, actor)
            return None

        return await self._run(work)

    @rx.event
    async def end_session(self, session_id: str):
        def work(db, ws, actor):
            my_sessions.end_session(db, actor, session_id)
            self._refresh(db, actor)
            self._assign(sessions_error="", sessions_notice="That session was signed out.")

        def failed(exc: ServiceError):
            self._assign(sessions_error=exc.message, sessions_notice="")

        return await self._run(work, on_error=failed)

    @rx.event
    async def end_others(self):
        def work(db, ws, actor):
            ended = my_sessions.end_other_sessions(db, actor)
            self._refresh(db, actor)
            self._assign(sessions_error="", sessions_notice=(
                "You were not signed in anywhere else." if ended == 0 else
                f"Signed out everywhere else ({ended} session{'' if ended == 1 else 's'})."))

        def failed(exc: ServiceError):
            self._assign(sessions_error=exc.message, sessions_notice="")

        return await self._run(work, on_error=failed)

    @rx.event
    async def change_password(self, form: dict):
        def work(db, ws, actor):
            ended = credentials.change_password(db, actor, form.get("current_password"), form.get("password"),
                                                form.get("confirm"))
            self._refresh(db, actor)
            others = ("" if ended == 0 else " Your other session was signed out." if ended == 1
                      else f" Your {ended} other sessions were signed out.")
            self._assign(pw_error="", pw_field="", pw_notice="Your password was changed." + others)

        def failed(exc: ServiceError):
            record_wrong_password(exc)
            self._assign(pw_error=exc.message, pw_field=exc.field or "", pw_notice="")

        return await self._run(work, on_error=failed)
