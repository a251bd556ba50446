"""States of two-factor sign-in: a person's own setup page (clients at /security/two-factor,
staff at /staff/security/two-factor: one state, each person manages their own factor) and the
second step of signing in (the code page; the code itself is posted to /api/auth/two-factor).

What only this browser should see -- the secret being set up, its QR code, the recovery codes
-- lives in vars for as long as the page shows them: the codes are dropped when the person
says they saved them, and the whole tree is reset when the session changes (session_guard.py).
"""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_staff_person
from portal_app.errors import ServiceError, Throttled
from portal_app.services.accounts import auth, two_factor
from portal_app.state.auth import FORM_ERRORS
from portal_app.state.base import BaseState

CODE_ERRORS = {
    "code": two_factor.BAD_CODE,
    "throttled": Throttled.message,
    "origin": FORM_ERRORS["origin"],
}


class TwoFactorState(BaseState):
    loaded: bool = False
    on: bool = False
    required: bool = False
    recovery_left: int = 0
    # setup: "" (not started) | "scan" (secret shown, waiting for the first code) | "codes" (done:
    # the recovery codes shown once)
    step: str = ""
    qr: str = ""  # an SVG data URI drawn by the server (segno)
    secret: str = ""
    recovery_codes: list[str] = []
    error: str = ""
    off_error: str = ""

    def _refresh(self, db, actor) -> None:
        st = two_factor.status(db, actor)
        self._assign(loaded=True, on=st.on, required=st.required, recovery_left=st.recovery_left)

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._refresh(db, actor)
            self._assign(step="", qr="", secret="", recovery_codes=[], error="", off_error="")

        return await self._run(work)

    @rx.event
    async def begin(self):
        def work(db, ws, actor):
            enrolment = two_factor.begin(db, actor)
            self._assign(step="scan", qr=enrolment.qr_data_uri, secret=enrolment.secret, error="")

        def failed(exc: ServiceError):
            self.error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def confirm(self, form: dict):
        def work(db, ws, actor):
            codes = two_factor.confirm(db, actor, str(form.get("code", "")))
            self._refresh(db, actor)
            self._assign(step="codes", qr="", secret="", recovery_codes=codes, error="")

        def failed(exc: ServiceError):
            self.error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def cancel(self):
        self._assign(step="", qr="", secret="", error="")

    @rx.event
    async def saved_codes(self):
        """The person has kept their recovery codes: they leave the screen (and this state).
        A staff member who had to set it up goes on to the staff area."""
        self._assign(step="", recovery_codes=[])

        def work(db, ws, actor):
            self._refresh(db, actor)
            self._notify("Two-factor sign-in is on.")
            if is_staff_person(actor) and (self.router.url.path or "").startswith("/staff"):
                return rx.redirect("/staff")
            return None

        return await self._run(work)

    @rx.event
    async def disable(self, form: dict):
        def work(db, ws, actor):
            two_factor.disable(db, actor, str(form.get("password", "")))
            self._refresh(db, actor)
            self._assign(off_error="")
            self._notify("Two-factor sign-in is off.")

        def failed(exc: ServiceError):
            self.off_error = exc.message

        return await self._run(work, on_error=failed)


class TwoFactorLoginState(BaseState):
    """The code page of a sign-in's second step: says what went wrong last time, and sends a
    visitor without a live pending sign-in back to the password page."""

    error: str = ""
    next_path: str = ""

    async def _load(self, staff: bool):
        pending = self._pending_sign_in_token()
        host = self._request_host()

        def work(db, ws, actor):
            self.error = CODE_ERRORS.get(self._query("error"), "")
            nxt = self._query("next")
            self.next_path = nxt if nxt.startswith("/") and not nxt.startswith("//") else ""
            for_staff = auth.pending_for_staff(db, ws.id, pending, host) if ws is not None else None
            if for_staff is None or for_staff != staff:
                return rx.redirect("/staff/login?error=expired" if staff else "/login?error=expired")
            return None

        return await self._run(work)

    @rx.event
    async def load_client(self):
        return await self._load(staff=False)

    @rx.event
    async def load_staff(self):
        return await self._load(staff=True)
