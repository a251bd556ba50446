"""The staff member's own private calendar feed on the Calendar page (issue 16 item 4): whether
they have made one, and a new link (the old one stops at once). The feed lists the appointments
they are with (services/appointments/feeds.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.appointments import feeds
from portal_app.state.base import BaseState


class StaffFeedState(BaseState):
    has_feed: bool = False
    feed_https: str = ""
    feed_webcal: str = ""
    feed_error: str = ""

    def _failed(self, exc: ServiceError) -> None:
        self._assign(feed_error=exc.message)

    @rx.event
    async def load_feed(self):
        """Whether the viewer has a live feed (its address is never shown again after it is made)."""
        def work(db, ws, actor):
            self._assign(has_feed=feeds.has_feed(db, actor), feed_https="", feed_webcal="", feed_error="")

        return await self._run(work, on_error=self._failed, keep_notice=True)

    @rx.event
    async def new_feed_link(self):
        """Makes the viewer's feed (a second call: a new link; the old one stops at once)."""
        def work(db, ws, actor):
            links = feeds.new_feed_links(db, actor)
            self._assign(feed_https=links.https, feed_webcal=links.webcal, has_feed=True, feed_error="")

        return await self._run(work, on_error=self._failed)
