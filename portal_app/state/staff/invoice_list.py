"""State of the staff invoice list (/staff/invoices).

The list's filter, client and page live in the URL (?status=&contact=&page=): links, the
back button and a reload all work; on_load reads them. The invoices on screen follow
their status live (`follow`): a payment, a view or a void shows without a reload.
"""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from portal_app.access import require_staff
from portal_app.errors import NotFound, ServiceError
from portal_app.services.accounts import contacts
from portal_app.services.billing import demo_payments, invoice_views
from portal_app.services.billing.invoice_views import ContactChoice, InvoiceRow, Outstanding
from portal_app.state import live
from portal_app.state.base import BaseState
from portal_app.state.common import clip, contact_options
from portal_app.state.staff.invoice_common import LIST_PATH, STATUS_FILTERS


class StaffInvoicesState(BaseState):
    rows: rx.Field[list[InvoiceRow]] = rx.field(default_factory=list)
    status: str = ""
    contact_id: str = ""
    contact_label: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    outstanding: rx.Field[list[Outstanding]] = rx.field(default_factory=list)
    refusal: str = ""
    contact_options: rx.Field[list[ContactChoice]] = rx.field(default_factory=list)
    test_mode: bool = False  # the demo's test payments (the ribbon)
    _flash: str = ""
    _live: int = 0

    def _url(self, **changes) -> str:
        params = {"status": self.status, "contact": self.contact_id, "page": str(self.page)}
        params.update(changes)
        clean = {k: v for k, v in params.items() if v and not (k == "page" and v == "1")}
        return f"{LIST_PATH}?{urlencode(clean)}" if clean else LIST_PATH

    def _page_arg(self) -> int:
        try:
            return max(1, int(self._query("page") or 1))
        except ValueError:
            return 1

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._list(db, actor)
            self._assign(refusal="", contact_options=[],
                         test_mode=demo_payments.workspace_in_test_mode(db, actor.workspace_id))
            if self._flash:
                self._notify(self._flash)
                self._flash = ""
            return StaffInvoicesState.follow

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.outstanding, self.total = exc.message, [], [], 0

        return await self._run(work, on_error=refused)

    def _list(self, db, actor) -> None:
        require_staff(actor)
        status = self._query("status")
        status = status if status in STATUS_FILTERS else ""
        contact_id = clip(self._query("contact"), 40)
        result = invoice_views.staff_invoices(db, actor, status=status, contact_public_id=contact_id,
                                              page=self._page_arg())
        label = ""
        if contact_id:
            try:
                label = contacts.get_contact(db, actor, contact_id).display_name
            except NotFound:
                label = "a client that no longer exists"
        self._assign(status=status, contact_id=contact_id, contact_label=label, rows=result.rows, total=result.total,
                     page=result.page, pages=result.pages, outstanding=result.outstanding)

    @rx.event(background=True)
    async def follow(self):
        """Keep the rows on screen current (one keyed query every few seconds)."""
        await live.follow(self, lambda db, actor: invoice_views.rows_marker(db, actor, [r["id"] for r in self.rows]),
                          self._list)

    @rx.event
    def set_status(self, value: str):
        value = str(value)
        return rx.redirect(self._url(status=value if value in STATUS_FILTERS else "", page="1"))

    @rx.event
    async def find_contacts(self, value: str):
        def work(db, ws, actor):
            query = clip(value, 100).strip()
            self.contact_options = contact_options(db, actor, query) if query else []

        return await self._run(work, keep_notice=True)

    @rx.event
    def filter_contact(self, public_id: str):
        return rx.redirect(self._url(contact=clip(public_id, 40), page="1"))

    @rx.event
    def clear_contact(self):
        return rx.redirect(self._url(contact="", page="1"))
