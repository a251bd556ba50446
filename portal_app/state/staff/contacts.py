"""Staff contacts (/staff/contacts) and one contact's record (/staff/contacts/[id]):
details, portal invitation, what the business shared with them, and their Timeline (the
client's whole history, internal entries marked: state/timeline.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.errors import ServiceError
from portal_app.services.accounts import contacts, invites
from portal_app.services.conversations import timeline
from portal_app.services.files import files
from portal_app.services.portal import staff_views
from portal_app.state.base import BaseState
from portal_app.state.timeline import TimelineMixin


class ContactsState(BaseState):
    rows: rx.Field[list[contacts.ContactListRow]] = rx.field(default_factory=list)
    query: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    create_error: str = ""
    create_open: bool = False

    def _fetch(self, db, actor, query: str, page: int) -> None:
        result = contacts.list_contacts(db, actor, query, page)
        self._assign(query=query, rows=contacts.as_dicts(result.rows), page=result.page, pages=result.pages,
                     total=result.total)

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._fetch(db, actor, "", 1)

        # a page opened afresh starts with the New contact dialog closed and without the error
        # of an attempt made before the staff member went elsewhere
        self._assign(create_open=False, create_error="")
        return await self._run(work)

    @rx.event
    async def search(self, form: dict):
        def work(db, ws, actor):
            self.query = str(form.get("q", ""))[:100]
            self.page = 1
            self._fetch(db, actor, self.query, self.page)

        return await self._run(work)

    @rx.event
    async def go_page(self, delta: int):
        def work(db, ws, actor):
            self.page = max(1, self.page + (1 if int(delta) > 0 else -1))
            self._fetch(db, actor, self.query, self.page)

        return await self._run(work)

    @rx.event
    def set_create_open(self, value: bool):
        self.create_open = bool(value)
        self.create_error = ""

    @rx.event
    async def create(self, form: dict):
        def work(db, ws, actor):
            contact = contacts.create_contact(db, actor, {k: str(v) for k, v in form.items()})
            self.create_open = False
            self.create_error = ""
            return rx.redirect(f"/staff/contacts/{contact.public_id}")

        def failed(exc: ServiceError):
            self.create_error = exc.message

        return await self._run(work, on_error=failed)


class ContactRecordState(TimelineMixin, BaseState):
    contact: contacts.ContactView = {}  # {} until loaded
    portal_status: str = ""
    invite_pending: bool = False
    invite_expires: str = ""
    last_login: str = ""
    history: rx.Field[list[staff_views.HistoryEntry]] = rx.field(default_factory=list)
    shared_files: rx.Field[list[files.SharedFile]] = rx.field(default_factory=list)
    shared_total: int = 0
    upload_folder: str = ""
    found: bool = True
    error: str = ""
    saved: str = ""

    def _public_id(self) -> str:
        return (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]

    def _refresh(self, db, actor) -> None:
        record = staff_views.contact_record(db, actor, self._public_id())
        self._assign(contact=record["contact"],  # every value a str already
                     portal_status=record["portal_status"], invite_pending=record["invite_pending"],
                     invite_expires=record["invite_expires"], last_login=record["last_login"],
                     history=record["history"], shared_files=record["files"]["shared"],
                     shared_total=record["files"]["shared_total"], upload_folder=record["files"]["upload_folder"],
                     found=True)

    def _tl_page(self, db, actor, kind: str, cursor) -> timeline.TimelinePage:
        return timeline.staff_timeline(db, actor, self._public_id(), kind=kind, cursor=cursor)

    def _tl_body(self, db, actor, entry_id: str) -> str:
        return timeline.email_body(db, actor, entry_id, contact_public_id=self._public_id())

    @rx.event
    async def load(self):
        def work(db, ws, actor):
            self._assign(error="", saved="")
            self._refresh(db, actor)
            # the timeline is a panel of its own, with its own pages: its first page comes in
            # the next event (the record shows at once; another record's entries never linger)
            self._assign(tl_items=[], tl_more=False, tl_loaded=False, tl_kind="")
            from portal_app.state.staff.contact_appointments import ContactAppointmentsState

            return [ContactRecordState.tl_filter(""),  # type: ignore[operator]  # Reflex types the handler as its namespace
                    ContactAppointmentsState.load_panel]

        def failed(exc: ServiceError):
            self.found, self.error = False, exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def save(self, form: dict):
        def work(db, ws, actor):
            contacts.update_contact(db, actor, self._public_id(), {k: str(v) for k, v in form.items()})
            self._refresh(db, actor)
            self.error, self.saved = "", "Contact saved."

        def failed(exc: ServiceError):
            self.error, self.saved = exc.message, ""

        return await self._run(work, on_error=failed)

    async def _action(self, fn, done: str):
        def work(db, ws, actor):
            fn(db, actor, self._public_id())
            self._refresh(db, actor)
            self._notify(done)

        return await self._run(work)

    @rx.event
    async def send_invite(self):
        return await self._action(invites.send_invite, "Portal invitation sent.")

    @rx.event
    async def revoke_invite(self):
        return await self._action(invites.revoke_invite, "Invitation revoked; the link no longer works.")

    @rx.event
    async def message(self):
        """"Message": the contact's conversation in the inbox (started now if they have none)."""
        from portal_app.services.conversations import threads

        def work(db, ws, actor):
            return rx.redirect(f"/staff/inbox/{threads.start_for_contact(db, actor, self._public_id()).public_id}")

        return await self._run(work)

    @rx.event
    async def disable_access(self):
        return await self._action(lambda db, a, pid: invites.set_portal_access(db, a, pid, False),
                            "Portal access disabled; the client was signed out.")

    @rx.event
    async def enable_access(self):
        return await self._action(lambda db, a, pid: invites.set_portal_access(db, a, pid, True),
                            "Portal access enabled.")
