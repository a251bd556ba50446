"""The client's Documents list (/documents): what awaits their signature first."""

from __future__ import annotations

import reflex as rx

from portal_app.access import is_staff
from portal_app.errors import ServiceError
from portal_app.services.documents import document_views
from portal_app.state.base import BaseState


class ClientDocumentsState(BaseState):
    rows: rx.Field[list[document_views.DocumentRow]] = rx.field(default_factory=list)
    page: int = 1
    pages: int = 1
    total: int = 0
    loaded: bool = False
    refusal: str = ""

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor):
                return rx.redirect("/staff/documents")
            try:
                page = max(1, int(self._query("page") or 1))
            except ValueError:
                page = 1
            result = document_views.client_documents(db, actor, page=page, sections=self.sections)
            self._assign(rows=result["rows"], total=result["total"], page=result["page"], pages=result["pages"],
                         refusal="", loaded=True)
            return None

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.total, self.loaded = exc.message, [], 0, False

        return await self._run(work, on_error=refused)
