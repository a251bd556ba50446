"""The client's profile (/profile): their contact details and a confirmed email change."""

from __future__ import annotations

from typing import cast

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.accounts import profile
from portal_app.state.base import BaseState


class ProfileState(BaseState):
    values: profile.ProfileValues = {}  # {} until loaded
    email: str = ""
    pending_email: str = ""
    error: str = ""
    error_field: str = ""
    saved: str = ""
    email_error: str = ""
    email_notice: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            data = profile.get_profile(db, actor)
            self.email = data.pop("email")
            self.pending_email = data.pop("pending_email")
            self.values = cast(profile.ProfileValues, data)  # what is left: CLIENT_EDITABLE
            self.error = self.error_field = self.saved = self.email_error = self.email_notice = ""

        return await self._run(work)

    @rx.event
    async def save(self, form: dict):
        def work(db, ws, actor):
            values = {k: str(form.get(k, "")) for k in profile.CLIENT_EDITABLE}
            changed = profile.update_profile(db, actor, values)
            self.values = cast(profile.ProfileValues, {k: v for k, v in profile.get_profile(db, actor).items()
                                                       if k in profile.CLIENT_EDITABLE})
            self.error = self.error_field = ""
            self.saved = "Your details were saved." if changed else "Nothing to change."

        def failed(exc: ServiceError):
            self.error, self.error_field, self.saved = exc.message, exc.field or "", ""

        return await self._run(work, on_error=failed)

    @rx.event
    async def change_email(self, form: dict):
        def work(db, ws, actor):
            new = profile.request_email_change(db, actor, str(form.get("new_email", "")))
            self.pending_email = new
            self.email_error = ""
            self.email_notice = f"We sent a confirmation link to {new}. Your email changes when you open it."

        def failed(exc: ServiceError):
            self.email_error, self.email_notice = exc.message, ""

        return await self._run(work, on_error=failed)
