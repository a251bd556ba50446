"""The page for an address the app does not have (Reflex's 404 route): it asks who is looking
so the page can wear the right shell. A client at a /staff address is sent home first, as on
every staff page (BaseState._kept_out)."""

from __future__ import annotations

import reflex as rx

from portal_app.state.base import BaseState


class NotFoundState(BaseState):
    # whether the load has said who is looking: until then the page shows a spinner, not a
    # shell that might be the wrong one
    ready: bool = False

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            return None

        result = await self._run(work)
        self.ready = True
        return result
