"""Staff Payments › Documents & Contracts: the list (/staff/documents) and a new document
(/staff/documents/new)."""

from __future__ import annotations

import reflex as rx

from portal_app.access import require_manage_documents
from portal_app.errors import ServiceError
from portal_app.models import DOCUMENT_STATUSES
from portal_app.services.billing.invoice_views import ContactChoice
from portal_app.services.documents import document_views, documents
from portal_app.state import live
from portal_app.state.base import BaseState
from portal_app.state.common import clip, contact_options
from portal_app.state.line_items import LineItemsMixin

LIST = "/staff/documents"
MAX_ESTIMATE_LINES = 50


class StaffDocumentsState(BaseState):
    rows: rx.Field[list[document_views.DocumentRow]] = rx.field(default_factory=list)
    status: str = ""
    page: rx.Field[int] = rx.field(1)
    pages: int = 1
    total: int = 0
    refusal: str = ""
    _live: int = 0

    def _list(self, db, actor) -> None:
        status = self._query("status")
        self.status = status if status in DOCUMENT_STATUSES else ""
        try:
            page = max(1, int(self._query("page") or 1))
        except ValueError:
            page = 1
        result = document_views.staff_documents(db, actor, status=self.status, page=page)
        self.rows, self.total, self.page, self.pages = result["rows"], result["total"], result["page"], result["pages"]

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self.refusal = ""
            self._list(db, actor)
            return StaffDocumentsState.follow

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.total = exc.message, [], 0

        return await self._run(work, on_error=refused)

    @rx.event(background=True)
    async def follow(self):
        """The rows on screen follow their status live (a client views, signs, declines)."""
        def marker(db, actor):
            result = document_views.staff_documents(db, actor, status=self.status, page=self.page)
            return [(r["id"], r["status"], r["updated"]) for r in result["rows"]]

        await live.follow(self, marker, self._list)

    @rx.event
    def set_status(self, value: str):
        value = str(value)
        return rx.redirect(f"{LIST}?status={value}" if value in DOCUMENT_STATUSES else LIST)


class NewDocumentState(LineItemsMixin, BaseState):
    kind: str = "contract"
    title: str = ""
    message: str = ""
    countersign: bool = False
    contact: ContactChoice = {}
    contact_options: rx.Field[list[ContactChoice]] = rx.field(default_factory=list)
    currency: str = "USD"
    error: str = ""
    error_field: str = ""
    busy: bool = False

    def _max_lines(self) -> int:
        return MAX_ESTIMATE_LINES

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            require_manage_documents(actor)
            self.kind, self.title, self.message, self.countersign = "contract", "", "", False
            self.contact, self.contact_options, self.error, self.error_field, self.busy = {}, [], "", "", False
            self._set_lines([])
            wanted = clip(self._query("contact"), 40)
            if wanted:
                match = [c for c in contact_options(db, actor, "") if c["public_id"] == wanted]
                self.contact = match[0] if match else {}

        return await self._run(work)

    @rx.event
    def set_kind(self, value: str):
        self.kind = value if value in ("contract", "proposal", "estimate") else "contract"

    @rx.event
    def set_title(self, value: str):
        self.title = str(value)[:200]

    @rx.event
    def set_message(self, value: str):
        self.message = str(value)[:2000]

    @rx.event
    def set_countersign(self, value: bool):
        self.countersign = bool(value)

    @rx.event
    def set_currency(self, value: str):
        self.currency = str(value)[:3].upper()

    @rx.event
    async def find_contacts(self, value: str):
        def work(db, ws, actor):
            query = clip(value, 100).strip()
            self.contact_options = contact_options(db, actor, query) if query else []

        return await self._run(work, keep_notice=True)

    @rx.event
    def choose_contact(self, public_id: str):
        chosen = [c for c in self.contact_options if c["public_id"] == public_id]
        self.contact, self.contact_options = (chosen[0] if chosen else {}), []

    @rx.event
    def change_contact(self):
        self.contact = {}

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        from portal_app.settings import get_settings

        if not files:
            self.error, self.error_field = "Choose the PDF to send for signature.", "file"
            return None
        limit = get_settings().document_max_bytes
        data = await files[0].read(limit + 1)  # never more than the cap needs
        name = files[0].name or files[0].filename or "document.pdf"

        def work(db, ws, actor):
            doc = documents.upload_document(
                db, actor, data=data, file_name=name, kind=self.kind, title=self.title, message=self.message,
                contact_public_id=self.contact.get("public_id", ""), countersign=self.countersign,
                estimate_lines=self.lines, currency=self.currency)
            self.error, self.error_field = "", ""
            return rx.redirect(f"{LIST}/{doc.public_id}")

        def failed(exc: ServiceError):
            self.error, self.error_field = exc.message, exc.field or ""

        # the PDF guard waits for its child process (up to 30 s): in a thread, never on the event loop
        return await self._run(work, on_error=failed)
