"""What the client's Communications page and the staff contact record's Timeline share
(TimelineMixin): a page of history entries, newest first, a kind filter, "Load more", and one
email's text opened on demand.

The services decide what each actor may read (services/conversations/timeline.py): the
concrete state implements `_tl_page(db, actor, kind, cursor)` and `_tl_body(db, actor, id)`.
The keyset cursor stays server-side (a backend var): the browser only asks for "more".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.conversations import timeline

FILTERS = [{"value": "", "label": "All"}, *({"value": k, "label": v} for k, v in timeline.KIND_LABELS.items())]


class TimelineMixin(rx.State, mixin=True):
    tl_items: list[timeline.TimelineItem] = []
    tl_kind: str = ""
    tl_more: bool = False
    tl_loaded: bool = False
    tl_error: str = ""
    tl_open_id: str = ""
    tl_open_title: str = ""
    tl_open_body: str = ""
    _tl_cursor_at: str = ""
    _tl_cursor_id: int = 0

    if TYPE_CHECKING:  # what the concrete state brings
        def _assign(self, **values: Any) -> None: ...
        def _run(self, work: Callable[[Any, Any, Any], Any], *,
                 on_error: Callable[[Any], Any] | None = None, keep_notice: bool = False) -> Any: ...
        def _tl_page(self, db: Any, actor: Any, kind: str, cursor: tuple[str, int] | None) -> timeline.TimelinePage: ...
        def _tl_body(self, db: Any, actor: Any, entry_id: str) -> str: ...

    def _tl_fill(self, page: timeline.TimelinePage, *, append: bool) -> None:
        items = [*self.tl_items, *page.items] if append else page.items
        at, last = page.cursor if page.cursor is not None else ("", 0)
        self._tl_cursor_at, self._tl_cursor_id = at, last
        self._assign(tl_items=items, tl_more=page.cursor is not None, tl_loaded=True, tl_error="")

    def _tl_first(self, db: Any, actor: Any, kind: str = "") -> None:
        """The first page (a page load, a filter): what was open closes."""
        self._assign(tl_kind=kind, tl_open_id="", tl_open_title="", tl_open_body="")
        self._tl_fill(self._tl_page(db, actor, kind, None), append=False)

    def _tl_refused(self, exc: ServiceError) -> None:
        self._assign(tl_error=exc.message)

    @rx.event
    async def tl_filter(self, kind: str):
        """Show one kind only ("" for all); an unknown kind is no filter (the service checks)."""
        wanted = str(kind or "")
        wanted = wanted if wanted in timeline.KIND_LABELS else ""

        def work(db, ws, actor):
            self._tl_first(db, actor, wanted)

        return await self._run(work, on_error=self._tl_refused)

    @rx.event
    async def tl_load_more(self):
        def work(db, ws, actor):
            if not self._tl_cursor_at:  # nothing loaded yet (or a forged call): the first page
                self._tl_first(db, actor, self.tl_kind)
                return
            page = self._tl_page(db, actor, self.tl_kind, (self._tl_cursor_at, self._tl_cursor_id))
            self._tl_fill(page, append=True)

        return await self._run(work, on_error=self._tl_refused)

    @rx.event
    async def tl_open(self, entry_id: str):
        """Open one email's text (plain text; its one-time links were redacted when recorded)."""
        wanted = str(entry_id or "")[:20]

        def work(db, ws, actor):
            body = self._tl_body(db, actor, wanted)
            title = next((i["title"] for i in self.tl_items if i["id"] == wanted), "Email")
            self._assign(tl_open_id=wanted, tl_open_title=title, tl_open_body=body)

        def refused(exc: ServiceError):
            self._assign(tl_open_id="", tl_open_title="", tl_open_body="", tl_error=exc.message)

        return await self._run(work, on_error=refused)

    @rx.event
    def tl_set_open(self, value: bool):
        """The email dialog's open state (closing only: opening goes through tl_open)."""
        if not value:
            self._assign(tl_open_id="", tl_open_title="", tl_open_body="")
