"""The client's Communications page (/communications): their history with the business, newest
first (services/conversations/timeline.py decides what they may see). Refused, like every
section, while the business has it switched off."""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_staff
from portal_app.errors import ServiceError
from portal_app.services.conversations import timeline
from portal_app.state.base import BaseState
from portal_app.state.timeline import TimelineMixin


class CommunicationsState(TimelineMixin, BaseState):
    available: bool = False
    refusal: str = ""

    def _tl_page(self, db, actor, kind: str, cursor) -> timeline.TimelinePage:
        return timeline.client_timeline(db, actor, kind=kind, cursor=cursor)

    def _tl_body(self, db, actor, entry_id: str) -> str:
        return timeline.email_body(db, actor, entry_id)

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff/contacts")
            self._assign(available=False, refusal="")
            self._tl_first(db, actor, "")
            self._assign(available=True)
            return None

        def refused(exc: ServiceError):
            self._assign(available=False, refusal=exc.message, tl_items=[], tl_more=False)

        return await self._run(work, on_error=refused)
