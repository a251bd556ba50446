"""Staff Payments › Documents & Contracts, one document (/staff/documents/[id]): the field
editor while it is a draft, then its signers' progress."""

from __future__ import annotations

from datetime import date
from typing import cast

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.models import FIELD_HINT_MAX, FIELD_KIND_NAMES, FIELD_LABEL_MAX
from portal_app.services.documents import document_views, documents, sealing
from portal_app.state import live
from portal_app.state.base import BaseState
from portal_app.state.common import clip, segments

FIELD_LABELS = FIELD_KIND_NAMES
DEFAULT_SIZE = {"signature": (0.3, 0.06), "initials": (0.1, 0.05), "date": (0.2, 0.035), "text": (0.3, 0.035),
                "checkbox": (0.03, 0.022)}


class StaffDocumentState(BaseState):
    doc: document_views.DocumentInfo = {}
    fields: list[document_views.FieldView] = []
    signers: list[document_views.SignerView] = []
    pages: list[document_views.PageImage] = []
    trail: list[document_views.TrailEntry] = []
    tool: str = "signature"
    tool_signer: str = ""
    tool_page: rx.Field[int] = rx.field(0)
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
    async def load(self):
        def work(db, ws, actor):
            self.dialog, self.dialog_error, self.selected = "", "", ""
            self._show(db, actor)
            return StaffDocumentState.follow

        def refused(exc: ServiceError):
            self.found, self.refusal, self.doc, self.fields, self.pages = False, exc.message, {}, [], []

        return await self._run(work, on_error=refused)

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
                                      "label": "", "hint": "", "shown_label": FIELD_LABELS[self.tool],
                                      "required": self.tool != "checkbox", "value": ""}]
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

    @rx.event
    def set_field_label(self, field_id: str, value: str):
        """What the signer reads for this field (checked again, with a message, on save)."""
        self._set_text(field_id, "label", value, FIELD_LABEL_MAX)

    @rx.event
    def set_field_hint(self, field_id: str, value: str):
        self._set_text(field_id, "hint", value, FIELD_HINT_MAX)

    def _set_text(self, field_id: str, key: str, value: str, limit: int) -> None:
        if self.doc.get("status") != "draft":
            return
        # a little over the limit is kept, so that saving says it is too long instead of cutting it
        text = str(value or "")[:limit + 50]
        self.fields = [cast(document_views.FieldView, {**f, key: text}) if f["id"] == field_id else f
                       for f in self.fields]
        self.dirty = True

    def _save(self, db, actor) -> None:
        chosen = next((f for f in self.fields if f["id"] == self.selected), None)
        documents.save_fields(db, actor, self._public_id(), cast(list[dict], self.fields))
        self._show(db, actor)
        # saved fields get their stored ids: keep the same field selected (not a dangling id)
        def spot(f):
            return f["page"], f["kind"], f["signer"], round(float(f["x"]), 3), round(float(f["y"]), 3)

        again = next((f for f in self.fields if chosen and spot(f) == spot(chosen)), None)
        self.selected = again["id"] if again else ""

    @rx.event
    async def save_fields(self):
        def work(db, ws, actor):
            self._save(db, actor)
            self._notify("Fields saved.")

        return await self._run(work)

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
    async def send(self):
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

        return await self._run(work, on_error=failed)

    @rx.event
    async def remind(self):
        def work(db, ws, actor):
            signer = documents.remind(db, actor, self._public_id())
            self._show(db, actor)
            self._notify(f"Reminder sent to {signer.email}.")

        return await self._run(work)

    @rx.event
    async def retry_sealing(self):
        def work(db, ws, actor):
            sealing.retry_sealing(db, actor, self._public_id())
            self._show(db, actor)
            self._notify("Sealing will be tried again in a moment.")

        return await self._run(work)

    @rx.event
    async def void(self, form: dict):
        def work(db, ws, actor):
            documents.void_document(db, actor, self._public_id(), clip((form or {}).get("reason", ""), 500))
            self._show(db, actor)
            self.dialog = ""
            self._notify("The document is void; it can no longer be signed.")

        def failed(exc: ServiceError):
            self.dialog_error = exc.message

        return await self._run(work, on_error=failed)
