"""The client's profile (/profile): their contact details, a confirmed email change, and the
time zone their appointments are shown in."""

from __future__ import annotations

from typing import cast

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.accounts import profile
from portal_app.services.appointments import client_side
from portal_app.state.base import BaseState
from portal_app.state.security import record_wrong_password

# every zone a client may choose (the select's options: compiled into the page, not state)
ZONE_CHOICES = client_side.zone_choices()


class ProfileState(BaseState):
    values: profile.ProfileValues = {}  # {} until loaded
    # The inputs are uncontrolled (default_value) and keyed on their value and this revision: a
    # load, or a save whose tidied values differ from what was typed, remounts them with the
    # stored values; a save that stores what the form shows sends no values at all (a smaller
    # delta, and the form is not re-rendered: bench/page_load.py's round trip)
    form_rev: int = 0
    email: str = ""
    pending_email: str = ""
    error: str = ""
    error_field: str = ""
    saved: str = ""
    email_error: str = ""
    email_notice: str = ""
    time_zone: str = ""      # "" while nobody knows it (the browser reports it on /appointments)
    zone_error: str = ""
    zone_saved: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            data = profile.get_profile(db, actor)
            self.email = data.pop("email")
            self.pending_email = data.pop("pending_email")
            self.time_zone = data.pop("time_zone")
            self.values = cast(profile.ProfileValues, data)  # what is left: CLIENT_EDITABLE
            self.form_rev += 1
            self.error = self.error_field = self.saved = self.email_error = self.email_notice = ""
            self.zone_error = self.zone_saved = ""

        return await self._run(work)

    @rx.event
    async def save(self, form: dict):
        def work(db, ws, actor):
            typed = {k: str(form.get(k, "")) for k in profile.CLIENT_EDITABLE}
            changed = profile.update_profile(db, actor, typed)
            stored = profile.tidy_values(typed)
            if stored != typed:  # the form shows something else than what was stored: refill it
                self.values, self.form_rev = stored, self.form_rev + 1
            self._assign(error="", error_field="",
                         saved="Your details were saved." if changed else "Nothing to change.")

        def failed(exc: ServiceError):
            self.error, self.error_field, self.saved = exc.message, exc.field or "", ""

        return await self._run(work, on_error=failed)

    @rx.event
    async def change_email(self, form: dict):
        def work(db, ws, actor):
            new = profile.request_email_change(db, actor, str(form.get("new_email", "")),
                                               form.get("current_password"))
            self.pending_email = new
            self.email_error = ""
            self.email_notice = f"We sent a confirmation link to {new}. Your email changes when you open it."

        def failed(exc: ServiceError):
            record_wrong_password(exc)
            self.email_error, self.email_notice = exc.message, ""

        return await self._run(work, on_error=failed)

    @rx.event
    async def save_zone(self, form: dict):
        def work(db, ws, actor):
            self.time_zone = client_side.set_client_zone(db, actor, str(form.get("time_zone", ""))[:100])
            self._assign(zone_error="", zone_saved=f"Times are now shown in {self.time_zone}.")

        def failed(exc: ServiceError):
            self._assign(zone_error=exc.message, zone_saved="")

        return await self._run(work, on_error=failed)
