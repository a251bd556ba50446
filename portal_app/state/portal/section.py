"""A client portal section without a page of its own yet (/appointments; /communications has its
own: state/portal/communications.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.portal import portal_home
from portal_app.state.base import BaseState


class SectionState(BaseState):
    """Invoices, Documents, Files, Appointments, Communications: refused by URL when the
    business turned the section off; honest empty states until later features fill them."""

    section: str = ""
    label: str = ""
    empty_text: str = ""
    available: bool = False
    refusal: str = ""

    @rx.event
    async def load(self):
        key = (self.router.url.path or "/").strip("/").split("/")[0]

        def work(db, ws, actor):
            self.section, self.available, self.refusal = key, False, ""
            summary = portal_home.open_section(db, actor, key)
            self.label, self.empty_text, self.available = summary.label, summary.empty_text, True

        def refused(exc: ServiceError):
            self.available, self.refusal = False, exc.message

        return await self._run(work, on_error=refused)
