"""The dev mail outbox (/staff/outbox): what the app would have emailed (owners only, and
only with PORTAL_MAIL=outbox)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.portal import staff_views
from portal_app.state.base import BaseState


class OutboxState(BaseState):
    """The dev outbox page (owners, while PORTAL_MAIL=outbox: access.require_read_dev_outbox;
    whether the staff navigation offers it is BaseState.outbox_offered, set with every
    event's context)."""

    mails: rx.Field[list[staff_views.DevMailView]] = rx.field(default_factory=list)
    error: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.mails = staff_views.dev_outbox(db, actor)
            self.error = ""

        def failed(exc: ServiceError):
            self.mails, self.error = [], exc.message

        return await self._run(work, on_error=failed)
