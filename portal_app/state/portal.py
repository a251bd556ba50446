"""States of the client portal pages: home, sections, profile."""

from __future__ import annotations

from typing import TypedDict, cast

import reflex as rx

from ..access import is_staff
from ..errors import ServiceError
from ..services import portal_home, profile
from .base import BaseState




class HomeCard(TypedDict):
    """One enabled section on the client's home."""
    key: str
    label: str
    count: str
    empty: str              # what the section holds, or its honest empty state
    href: str


class HomeState(BaseState):
    greeting_name: str = ""
    cards: list[HomeCard] = []
    welcome: bool = False

    @rx.event
    def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff")
            name, sections = portal_home.home_summary(db, actor)
            self.greeting_name = name
            self.welcome = self._query("welcome") == "1"
            if self._query("password_changed") == "1":
                self._notify("Your new password is saved. Your other devices were signed out.")
            self.cards = [{"key": s.key, "label": s.label, "count": str(s.count),
                           "empty": s.empty_text, "href": f"/{s.key}"} for s in sections]
            return None

        return self._run(work)


class SectionState(BaseState):
    """Invoices, Documents, Files, Appointments, Communications: refused by URL when the
    business turned the section off; honest empty states until later features fill them."""

    section: str = ""
    label: str = ""
    empty_text: str = ""
    available: bool = False
    refusal: str = ""

    @rx.event
    def load(self):
        key = (self.router.url.path or "/").strip("/").split("/")[0]

        def work(db, ws, actor):
            self.section, self.available, self.refusal = key, False, ""
            summary = portal_home.open_section(db, actor, key)
            self.label, self.empty_text, self.available = summary.label, summary.empty_text, True

        def refused(exc: ServiceError):
            self.available, self.refusal = False, exc.message

        return self._run(work, on_error=refused)


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
    def load(self):
        def work(db, ws, actor):
            data = profile.get_profile(db, actor)
            self.email = data.pop("email")
            self.pending_email = data.pop("pending_email")
            self.values = cast(profile.ProfileValues, data)  # what is left: CLIENT_EDITABLE
            self.error = self.error_field = self.saved = self.email_error = self.email_notice = ""

        return self._run(work)

    @rx.event
    def save(self, form: dict):
        def work(db, ws, actor):
            values = {k: str(form.get(k, "")) for k in profile.CLIENT_EDITABLE}
            changed = profile.update_profile(db, actor, values)
            self.values = cast(profile.ProfileValues, {k: v for k, v in profile.get_profile(db, actor).items()
                                                       if k in profile.CLIENT_EDITABLE})
            self.error = self.error_field = ""
            self.saved = "Your details were saved." if changed else "Nothing to change."

        def failed(exc: ServiceError):
            self.error, self.error_field, self.saved = exc.message, exc.field or "", ""

        return self._run(work, on_error=failed)

    @rx.event
    def change_email(self, form: dict):
        def work(db, ws, actor):
            new = profile.request_email_change(db, actor, str(form.get("new_email", "")))
            self.pending_email = new
            self.email_error = ""
            self.email_notice = f"We sent a confirmation link to {new}. Your email changes when you open it."

        def failed(exc: ServiceError):
            self.email_error, self.email_notice = exc.message, ""

        return self._run(work, on_error=failed)
