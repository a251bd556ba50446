"""Staff states of Payments › Documents & Contracts: the list (/staff/documents), a new
document (/staff/documents/new) and one document (/staff/documents/[id]): the field
editor while it is a draft, then its status, signers and audit trail, live."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import cast

import reflex as rx

from ..access import require_manage_documents
from ..errors import ServiceError
from ..models import DOCUMENT_STATUSES
from ..services import document_views, documents, sealing
from . import live
from .base import BaseState
from .invoice_common import clip, contact_options, segments
from .line_items import LineItemsMixin

LIST = "/staff/documents"
MAX_ESTIMATE_LINES = 50
FIELD_LABELS = {"signature": "Signature", "initials": "Initials", "date": "Date signed", "text": "Text",
                "checkbox": "Checkbox"}
DEFAULT_SIZE = {"signature": (0.3, 0.06), "initials": (0.1, 0.05), "date": (0.2, 0.035), "text": (0.3, 0.035),
                "checkbox": (0.03, 0.022)}


class StaffDocumentsState(BaseState):
    rows: list[document_views.DocumentRow] = []
    status: str = ""
    page: int = 1
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
    def load(self):
        def work(db, ws, actor):
            self.refusal = ""
            self._list(db, actor)
            return StaffDocumentsState.follow

        def refused(exc: ServiceError):
            self.refusal, self.rows, self.total = exc.message, [], 0

        return self._run(work, on_error=refused)

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
    contact: dict[str, str] = {}
    contact_options: list[dict[str, str]] = []
    currency: str = "USD"
    error: str = ""
    error_field: str = ""
    busy: bool = False

    def _max_lines(self) -> int:
        return MAX_ESTIMATE_LINES

    @rx.event
    def load(self):
        def work(db, ws, actor):
            require_manage_documents(actor)
            self.kind, self.title, self.message, self.countersign = "contract", "", "", False
            self.contact, self.contact_options, self.error, self.error_field, self.busy = {}, [], "", "", False
            self._set_lines([])
            wanted = clip(self._query("contact"), 40)
            if wanted:
                match = [c for c in contact_options(db, actor, "") if c["public_id"] == wanted]
                self.contact = match[0] if match else {}

        return self._run(work)

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
    def find_contacts(self, value: str):
        def work(db, ws, actor):
            query = clip(value, 100).strip()
            self.contact_options = contact_options(db, actor, query) if query else []

        return self._run(work, keep_notice=True)

    @rx.event
    def choose_contact(self, public_id: str):
        chosen = [c for c in self.contact_options if c["public_id"] == public_id]
        self.contact, self.contact_options = (chosen[0] if chosen else {}), []

    @rx.event
    def change_contact(self):
        self.contact = {}

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        from ..settings import get_settings

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
        return await asyncio.to_thread(self._run, work, on_error=failed)


class StaffDocumentState(BaseState):
    doc: document_views.DocumentInfo = {}  # type: ignore[typeddict-item]  # {} until loaded
    fields: list[document_views.FieldView] = []
    signers: list[document_views.SignerView] = []
    pages: list[document_views.PageImage] = []
    trail: list[document_views.TrailEntry] = []
    tool: str = "signature"
    tool_signer: str = ""
    tool_page: int = 0
    selected: str = ""
    dirty: bool = False
    expires_on: str = ""
    dialog: str = ""            # void | send
    dialog_error: str = ""
    found: bool = True
    refusal: str = ""
    _live: int = 0

    @rx.var
    def values(self) -> dict[str, str]:
        """What the read-only pages show in each filled field."""
        return {str(f["id"]): str(f["value"]) for f in self.fields if f.get("value")}

    def _public_id(self) -> str:
        parts = segments(self.router.url.path)
        return parts[2] if len(parts) >= 3 else ""

    def _show(self, db, actor) -> None:
        detail = document_views.document_detail(db, actor, self._public_id())
        self.doc = cast(document_views.DocumentInfo,
                        {k: v for k, v in detail.items() if k not in ("fields", "signers", "pages", "trail")})
        self.fields, self.signers, self.pages, self.trail = (detail["fields"], detail["signers"], detail["pages"],
                                                             detail["trail"])
        if not self.tool_signer or self.tool_signer not in {s["id"] for s in self.signers}:
            self.tool_signer = self.signers[0]["id"] if self.signers else ""
        self.found, self.refusal, self.dirty = True, "", False

    @rx.event
    def load(self):
        def work(db, ws, actor):
            self.dialog, self.dialog_error, self.selected = "", "", ""
            self._show(db, actor)
            return StaffDocumentState.follow

        def refused(exc: ServiceError):
            self.found, self.refusal, self.doc, self.fields, self.pages = False, exc.message, {}, [], []  # type: ignore[typeddict-item]

        return self._run(work, on_error=refused)

    @rx.event(background=True)
    async def follow(self):
        def marker(db, actor):
            d = document_views.document_detail(db, actor, self._public_id())
            return d["status"], tuple((s["status"], s["viewed"]) for s in d["signers"]), d["seal_error"]

        await live.follow(self, marker, self._refresh_live)

    def _refresh_live(self, db, actor) -> None:
        if self.dirty:  # never throw away unsaved field placement
            return
        before = self.doc.get("status")
        self._show(db, actor)
        if before != "completed" and self.doc.get("status") == "completed":
            # replaces a message about what came before ("Sealing will be tried again…")
            self._notify("Completed: every signer has signed and the PDF is sealed.")

    # --- the field editor (a draft) -------------------------------------------------------

    @rx.event
    def set_tool(self, value: str):
        self.tool = value if value in FIELD_LABELS else "signature"

    @rx.event
    def set_tool_signer(self, value: str):
        self.tool_signer = str(value)[:40]

    @rx.event
    def place(self, spot: dict):
        """A click on an empty spot of a page: a field of the chosen kind for the chosen signer."""
        self._place(spot)

    def _place(self, spot: dict) -> None:
        if self.doc.get("status") != "draft" or not isinstance(spot, dict):
            return
        try:
            page, x, y = int(spot.get("page", 0)), float(spot.get("x", 0)), float(spot.get("y", 0))
        except (TypeError, ValueError):
            return
        if not 0 <= page < len(self.pages) or x != x or y != y or len(self.fields) >= documents.MAX_FIELDS:
            return  # a page this document does not have, NaN, or too many fields
        w, h = DEFAULT_SIZE[self.tool]
        x, y = min(max(0.0, x - w / 2), 1 - w), min(max(0.0, y - h / 2), 1 - h)
        name = next((s["name"] for s in self.signers if s["id"] == self.tool_signer), "")
        fid = f"new-{len(self.fields) + 1}-{page}-{int(x * 1000)}-{int(y * 1000)}"
        self.fields = [*self.fields, {"id": fid, "page": page, "x": round(x, 4), "y": round(y, 4), "w": w, "h": h,
                                      "kind": self.tool, "signer": self.tool_signer, "signer_name": name,
                                      "label": FIELD_LABELS[self.tool], "required": self.tool != "checkbox",
                                      "value": ""}]
        self.selected, self.dirty = fid, True

    @rx.event
    def set_tool_page(self, value: str):
        try:
            self.tool_page = min(max(0, int(value)), max(0, len(self.pages) - 1))
        except (TypeError, ValueError):
            self.tool_page = 0

    @rx.event
    def add_at_page(self):
        """The keyboard way to place a field: in the middle of the chosen page (then arrow keys)."""
        self._place({"page": self.tool_page, "x": 0.5, "y": 0.5})

    @rx.event
    def move_fields(self, fields: list[dict]):
        if self.doc.get("status") == "draft" and isinstance(fields, list):
            known = {f["id"]: f for f in self.fields}
            self.fields = [cast(document_views.FieldView,
                                {**known[f["id"]], **{k: f[k] for k in ("page", "x", "y", "w", "h") if k in f}})
                           for f in fields if isinstance(f, dict) and f.get("id") in known]
            self.dirty = True

    @rx.event
    def select(self, field_id: str):
        self.selected = str(field_id)[:60]

    @rx.event
    def delete_field(self, field_id: str):
        if self.doc.get("status") == "draft":
            self.fields = [f for f in self.fields if f["id"] != field_id]
            self.selected, self.dirty = "", True

    @rx.event
    def toggle_required(self, field_id: str):
        if self.doc.get("status") == "draft":
            self.fields = [{**f, "required": not f["required"]} if f["id"] == field_id else f for f in self.fields]
            self.dirty = True

    def _save(self, db, actor) -> None:
        chosen = next((f for f in self.fields if f["id"] == self.selected), None)
        documents.save_fields(db, actor, self._public_id(), cast(list[dict], self.fields))
        self._show(db, actor)
        # saved fields get their stored ids: keep the same field selected (not a dangling id)
        spot = (lambda f: (f["page"], f["kind"], f["signer"], round(float(f["x"]), 3), round(float(f["y"]), 3)))
        again = next((f for f in self.fields if chosen and spot(f) == spot(chosen)), None)
        self.selected = again["id"] if again else ""

    @rx.event
    def save_fields(self):
        def work(db, ws, actor):
            self._save(db, actor)
            self._notify("Fields saved.")

        return self._run(work)

    # --- sending and after ----------------------------------------------------------------

    @rx.event
    def open_dialog(self, kind: str):
        self.dialog, self.dialog_error = (kind if kind in ("send", "void") else ""), ""

    @rx.event
    def set_dialog_open(self, value: bool):
        if not value:
            self.dialog, self.dialog_error = "", ""

    @rx.event
    def set_expires_on(self, value: str):
        self.expires_on = str(value)[:10]

    @rx.event
    def send(self):
        def work(db, ws, actor):
            self._save(db, actor)
            try:
                expires = date.fromisoformat(self.expires_on) if self.expires_on else None
            except ValueError:
                self.dialog_error = "Enter the expiry date as a date."
                return
            documents.send_document(db, actor, self._public_id(), expires_on=expires)
            self._show(db, actor)
            self.dialog = ""
            self._notify("Sent. The client was emailed a link to review and sign.")

        def failed(exc: ServiceError):
            self.dialog_error = exc.message

        return self._run(work, on_error=failed)

    @rx.event
    def remind(self):
        def work(db, ws, actor):
            signer = documents.remind(db, actor, self._public_id())
            self._show(db, actor)
            self._notify(f"Reminder sent to {signer.email}.")

        return self._run(work)

    @rx.event
    def retry_sealing(self):
        def work(db, ws, actor):
            sealing.retry_sealing(db, actor, self._public_id())
            self._show(db, actor)
            self._notify("Sealing will be tried again in a moment.")

        return self._run(work)

    @rx.event
    def void(self, form: dict):
        def work(db, ws, actor):
            documents.void_document(db, actor, self._public_id(), clip((form or {}).get("reason", ""), 500))
            self._show(db, actor)
            self.dialog = ""
            self._notify("The document is void; it can no longer be signed.")

        def failed(exc: ServiceError):
            self.dialog_error = exc.message

        return self._run(work, on_error=failed)
