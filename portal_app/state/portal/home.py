"""The client portal's home page (/): one summary card per section."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from portal_app.access import is_staff
from portal_app.services.portal import portal_home
from portal_app.state.base import BaseState


class HomeCard(TypedDict):
    """One enabled section on the client's home."""
    key: str
    label: str
    count: str
    empty: str              # what the section holds, or its honest empty state
    href: str


class HomeState(BaseState):
    greeting_name: str = ""
    cards: rx.Field[list[HomeCard]] = rx.field(default_factory=list)
    welcome: bool = False

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff")
            name, sections = portal_home.home_summary(db, actor, self.sections)
            if self._query("password_changed") == "1":
                self._notify("Your new password is saved. Your other devices were signed out.")
            self._assign(greeting_name=name, welcome=self._query("welcome") == "1",
                         cards=[{"key": s.key, "label": s.label, "count": str(s.count), "empty": s.empty_text,
                                 "href": f"/{s.key}"} for s in sections])
            return None

        return await self._run(work)
