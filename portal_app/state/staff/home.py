"""The staff home (/staff): staff land on their contacts; anyone else is sent to sign in."""

from __future__ import annotations

import reflex as rx

from portal_app.access import require_staff
from portal_app.state.base import BaseState


class StaffHomeState(BaseState):
    @rx.event
    async def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            return rx.redirect("/staff/contacts")

        return await self._run(work)
