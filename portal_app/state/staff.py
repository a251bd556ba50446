"""States of the staff pages: contacts, a contact record, portal configuration, dev outbox."""

from __future__ import annotations

import asyncio

import reflex as rx

from ..access import require_configure_portal, require_staff
from ..errors import ServiceError
from ..models import SECTIONS
from ..services import contacts, files, invites, portal_settings, staff_views
from .base import BaseState


class StaffHomeState(BaseState):
    @rx.event
    def load(self):
        def work(db, ws, actor):
            require_staff(actor)
            return rx.redirect("/staff/contacts")

        return self._run(work)


class ContactsState(BaseState):
    rows: list[contacts.ContactListRow] = []
    query: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    create_error: str = ""
    create_open: bool = False

    def _fetch(self, db, actor) -> None:
        result = contacts.list_contacts(db, actor, self.query, self.page)
        self.rows = contacts.as_dicts(result.rows)
        self.page, self.pages, self.total = result.page, result.pages, result.total

    @rx.event
    def load(self):
        def work(db, ws, actor):
            self.query, self.page = "", 1
            self._fetch(db, actor)

        return self._run(work)

    @rx.event
    def search(self, form: dict):
        def work(db, ws, actor):
            self.query = str(form.get("q", ""))[:100]
            self.page = 1
            self._fetch(db, actor)

        return self._run(work)

    @rx.event
    def go_page(self, delta: int):
        def work(db, ws, actor):
            self.page = max(1, self.page + (1 if int(delta) > 0 else -1))
            self._fetch(db, actor)

        return self._run(work)

    @rx.event
    def set_create_open(self, value: bool):
        self.create_open = bool(value)
        self.create_error = ""

    @rx.event
    def create(self, form: dict):
        def work(db, ws, actor):
            contact = contacts.create_contact(db, actor, {k: str(v) for k, v in form.items()})
            self.create_open = False
            self.create_error = ""
            return rx.redirect(f"/staff/contacts/{contact.public_id}")

        def failed(exc: ServiceError):
            self.create_error = exc.message

        return self._run(work, on_error=failed)


class ContactRecordState(BaseState):
    contact: contacts.ContactView = {}  # type: ignore[typeddict-item]  # {} until loaded
    portal_status: str = ""
    invite_pending: bool = False
    invite_expires: str = ""
    last_login: str = ""
    history: list[staff_views.HistoryEntry] = []
    shared_files: list[files.SharedFile] = []
    shared_total: int = 0
    upload_folder: str = ""
    found: bool = True
    error: str = ""
    saved: str = ""

    def _public_id(self) -> str:
        return (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]

    def _refresh(self, db, actor) -> None:
        record = staff_views.contact_record(db, actor, self._public_id())
        self.contact = record["contact"]  # every value a str already
        self.portal_status = record["portal_status"]
        self.invite_pending = record["invite_pending"]
        self.invite_expires = record["invite_expires"]
        self.last_login = record["last_login"]
        self.history = record["history"]
        self.shared_files, self.shared_total = record["files"]["shared"], record["files"]["shared_total"]
        self.upload_folder = record["files"]["upload_folder"]
        self.found = True

    @rx.event
    def load(self):
        def work(db, ws, actor):
            self.error = self.saved = ""
            self._refresh(db, actor)

        def failed(exc: ServiceError):
            self.found, self.error = False, exc.message

        return self._run(work, on_error=failed)

    @rx.event
    def save(self, form: dict):
        def work(db, ws, actor):
            contacts.update_contact(db, actor, self._public_id(), {k: str(v) for k, v in form.items()})
            self._refresh(db, actor)
            self.error, self.saved = "", "Contact saved."

        def failed(exc: ServiceError):
            self.error, self.saved = exc.message, ""

        return self._run(work, on_error=failed)

    def _action(self, fn, done: str):
        def work(db, ws, actor):
            fn(db, actor, self._public_id())
            self._refresh(db, actor)
            self._notify(done)

        return self._run(work)

    @rx.event
    def send_invite(self):
        return self._action(invites.send_invite, "Portal invitation sent.")

    @rx.event
    def revoke_invite(self):
        return self._action(invites.revoke_invite, "Invitation revoked; the link no longer works.")

    @rx.event
    def disable_access(self):
        return self._action(lambda db, a, pid: invites.set_portal_access(db, a, pid, False),
                            "Portal access disabled; the client was signed out.")

    @rx.event
    def enable_access(self):
        return self._action(lambda db, a, pid: invites.set_portal_access(db, a, pid, True),
                            "Portal access enabled.")


class PortalConfigState(BaseState):
    form_title: str = ""
    form_accent: str = "#2563eb"
    form_primary: str = ""
    form_secondary: str = ""
    form_sections: dict[str, bool] = {}
    form_chat: bool = False
    form_client_uploads: bool = False
    error: str = ""
    error_field: str = ""
    logo_error: str = ""
    saved: str = ""

    def _fill(self, db, actor) -> None:
        require_configure_portal(actor)
        ps = portal_settings.portal_settings_for(db, actor.workspace_id)
        self.form_title = ps.portal_title
        self.form_accent = ps.accent_color
        self.form_primary = ps.brand_primary or ""
        self.form_secondary = ps.brand_secondary or ""
        self.form_sections = {s: ps.section_enabled(s) for s in SECTIONS}
        self.form_chat = ps.chat_widget
        self.form_client_uploads = ps.allow_client_uploads

    @rx.event
    def load(self):
        def work(db, ws, actor):
            self.error = self.error_field = self.logo_error = self.saved = ""
            self._fill(db, actor)

        return self._run(work)

    # Live preview: these only change what this browser shows until Save.
    @rx.event
    def set_title(self, value: str):
        self.form_title = str(value)[:200]

    @rx.event
    def set_accent(self, value: str):
        self.form_accent = str(value)[:7]

    @rx.event
    def set_primary(self, value: str):
        self.form_primary = str(value)[:7]

    @rx.event
    def set_secondary(self, value: str):
        self.form_secondary = str(value)[:7]

    @rx.event
    def toggle_section(self, section: str, value: bool):
        if section in SECTIONS:
            self.form_sections = {**self.form_sections, section: bool(value)}

    @rx.event
    def set_chat(self, value: bool):
        self.form_chat = bool(value)

    @rx.event
    def set_client_uploads(self, value: bool):
        self.form_client_uploads = bool(value)

    @rx.event
    def clear_brand_colors(self):
        self.form_primary = self.form_secondary = ""

    @rx.event
    def save(self):
        def work(db, ws, actor):
            portal_settings.update_portal_settings(
                db, actor, portal_title=self.form_title, accent_color=self.form_accent,
                brand_primary=self.form_primary or None, brand_secondary=self.form_secondary or None,
                sections=dict(self.form_sections), chat_widget=self.form_chat,
                allow_client_uploads=self.form_client_uploads)
            self.error = self.error_field = ""
            self._apply_branding(db, ws, actor)
            self.saved = "Saved. Clients see the new settings now."

        def failed(exc: ServiceError):
            self.error, self.error_field, self.saved = exc.message, exc.field or "", ""

        return self._run(work, on_error=failed)

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        from ..settings import get_settings

        limit = get_settings().logo_max_bytes
        if not files:
            self.logo_error = "Choose an image file first."
            return
        upload = files[0]
        data = await upload.read(limit + 1)  # never read more than the limit needs
        name = upload.name or upload.filename or ""

        def work(db, ws, actor):
            portal_settings.set_logo(db, actor, data, name)
            self._apply_branding(db, ws, actor)
            self.logo_error = ""
            self._notify("Logo updated.")

        def failed(exc: ServiceError):
            self.logo_error = exc.message

        # Pillow decodes and re-encodes the image: in a thread, never on the event loop
        return await asyncio.to_thread(self._run, work, on_error=failed)

    @rx.event
    def remove_logo(self):
        def work(db, ws, actor):
            portal_settings.remove_logo(db, actor)
            self._apply_branding(db, ws, actor)
            self._notify("Logo removed.")

        return self._run(work)


class OutboxState(BaseState):
    """The dev outbox page (owners, while PORTAL_MAIL=outbox: access.require_read_dev_outbox;
    whether the staff navigation offers it is BaseState.outbox_offered, set with every
    event's context)."""

    mails: list[staff_views.DevMailView] = []
    error: str = ""

    @rx.event
    def load(self):
        def work(db, ws, actor):
            self.mails = staff_views.dev_outbox(db, actor)
            self.error = ""

        def failed(exc: ServiceError):
            self.mails, self.error = [], exc.message

        return self._run(work, on_error=failed)
