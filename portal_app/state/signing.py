"""The signing page, for the client (/documents/[id]) and for a staff countersigner
(/staff/documents/[id]/sign): one state for both (components/signing_ui.py).

The browser sends only the signer's answers and their drawn or typed signature; who
signs, which fields are theirs and whether it is their turn are decided by the services
(services/documents/signing.py) from the actor resolved on the server.
"""

from __future__ import annotations

from typing import cast

import reflex as rx

from portal_app.access import is_staff
from portal_app.errors import ServiceError
from portal_app.services.documents import document_views, signing
from portal_app.state import live
from portal_app.state.base import BaseState
from portal_app.state.common import clip, segments


class SigningState(BaseState):
    doc: document_views.SigningInfo = {}
    pages: list[document_views.PageImage] = []
    fields: list[document_views.FieldView] = []
    signers: list[document_views.SignerView] = []
    values: rx.Field[dict[str, str]] = rx.field(default_factory=dict)  # this signer's answers, by field id
    consent: bool = False
    mode: str = "draw"                   # draw | type
    drawn: str = ""                      # PNG data URL from the signature pad
    typed: str = ""
    error: str = ""
    error_field: str = ""
    decline_open: bool = False
    decline_error: str = ""
    loaded: bool = False
    refusal: str = ""
    _live: int = 0

    @rx.var
    def preview(self) -> dict[str, str]:
        """What each field box shows: others' answers as signed, this signer's as typed so far."""
        mine, live_form = self.doc.get("my_signer", ""), bool(self.doc.get("can_sign"))
        out: dict[str, str] = {}
        for f in self.fields:
            fid, kind = f["id"], f["kind"]
            if not (live_form and f["signer"] == mine):
                out[fid] = str(f["value"])
            elif kind == "signature":
                out[fid] = self.drawn if self.mode == "draw" else self.typed
            elif kind == "initials":
                out[fid] = signing.initials(self.typed or self.doc.get("my_name", "")) if self.typed or self.drawn else ""
            elif kind == "date":
                out[fid] = "(date of signing)"
            else:
                out[fid] = self.values.get(fid, "")
        return out

    def _public_id(self) -> str:
        return next((p for p in segments(self.router.url.path) if p.startswith("doc_")), "")[:60]

    def _client_meta(self) -> tuple[str, str]:
        headers = self.router.headers
        ip = getattr(self.router.session, "client_ip", "") or ""
        return str(ip)[:64], str(getattr(headers, "user_agent", "") or "")[:400]

    def _show(self, db, actor) -> None:
        view = document_views.signing_view(db, actor, self._public_id())
        self.doc = cast(document_views.SigningInfo,
                        {k: v for k, v in view.items() if k not in ("pages", "fields", "signers")})
        self.pages, self.fields, self.signers = view["pages"], view["fields"], view["signers"]
        mine = view["my_signer"]
        self.values = {f["id"]: self.values.get(f["id"], f["value"]) for f in self.fields
                       if f["signer"] == mine and f["kind"] in ("text", "checkbox")}
        if not self.typed:
            self.typed = view["my_name"]
        self.refusal, self.loaded = "", True

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            if is_staff(actor) and not self.router.url.path.startswith("/staff/"):
                return rx.redirect(f"/staff/documents/{self._public_id()}")
            ip, ua = self._client_meta()
            signing.mark_viewed(db, actor, self._public_id(), ip=ip, user_agent=ua)
            self.values, self.consent, self.drawn, self.typed, self.error = {}, False, "", "", ""
            self.decline_open, self.decline_error = False, ""
            self._show(db, actor)
            return SigningState.follow

        def refused(exc: ServiceError):
            self.refusal, self.doc, self.pages, self.fields, self.loaded = exc.message, {}, [], [], False

        return await self._run(work, on_error=refused)

    @rx.event(background=True)
    async def follow(self):
        """Waiting for someone else (or the seal): the page moves on by itself."""
        def marker(db, actor):
            view = document_views.signing_view(db, actor, self._public_id())
            return view["status"], tuple(s["status"] for s in view["signers"])

        await live.follow(self, marker, self._show)

    @rx.event
    def set_value(self, field_id: str, value: str):
        if field_id in self.values:
            self.values = {**self.values, field_id: str(value)[:500]}

    @rx.event
    def set_checked(self, field_id: str, value: bool):
        if field_id in self.values:
            self.values = {**self.values, field_id: "true" if value else ""}

    @rx.event
    def set_consent(self, value: bool):
        self.consent = bool(value)
        if self.consent and self.error_field == "consent":
            self.error, self.error_field = "", ""

    @rx.event
    def set_mode(self, value: str | list[str]):
        self.mode = "type" if value == "type" else "draw"

    @rx.event
    def set_drawn(self, data_url: str):
        self.drawn = str(data_url or "")[:450_000]

    @rx.event
    def set_typed(self, value: str):
        self.typed = str(value)[:100]

    @rx.event
    async def sign(self):
        def work(db, ws, actor):
            ip, ua = self._client_meta()
            signature = ({"kind": "drawn", "png": self.drawn} if self.mode == "draw"
                         else {"kind": "typed", "name": self.typed})
            signing.sign_document(db, actor, self._public_id(), consent=self.consent, values=dict(self.values),
                                  signature=signature, ip=ip, user_agent=ua)
            self.error, self.error_field = "", ""
            self._show(db, actor)
            self._notify("Signed. Thank you!" if self.doc.get("status") != "sealing" else
                         "Signed. Everyone has signed: the sealed copy will be ready in a moment.")

        def failed(exc: ServiceError):
            self.error, self.error_field = exc.message, exc.field or ""

        return await self._run(work, on_error=failed)

    @rx.event
    def set_decline_open(self, value: bool):
        self.decline_open, self.decline_error = bool(value), ""

    @rx.event
    async def decline(self, form: dict):
        def work(db, ws, actor):
            signing.decline_document(db, actor, self._public_id(), clip((form or {}).get("reason", ""), 1000))
            self.decline_open = False
            self._show(db, actor)
            self._notify("You declined this document. The sender has been told your reason.")

        def failed(exc: ServiceError):
            self.decline_error = exc.message

        return await self._run(work, on_error=failed)
