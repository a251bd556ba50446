"""The staff inbox (/staff/inbox, /staff/inbox/<conversation>): the workspace's conversations,
the open thread with its contact card, the reply composer (with internal notes and canned
replies), assignment, resolve/reopen; and the unread count of the staff navigation.

Services decide everything (services/conversations/inbox.py, threads.py, messages.py, canned.py);
a live hint on the workspace's staff topic makes the open page re-read what is new (`on_hint`:
messages after the last one shown, and the list), never trusting the hint for data.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from portal_app import limits
from portal_app.adapters import hints
from portal_app.errors import NotFound, ServiceError
from portal_app.services.conversations import attachments, canned, inbox, messages, threads
from portal_app.services.wording import Part, message_parts
from portal_app.state import chat_push, chat_upload
from portal_app.state.base import BaseState

ID_MAX = 40
TOP = "/staff/inbox"


class ShownMessage(threads.MessageView):
    when: str
    parts: list[Part]  # the body as text and http(s) links (drawn as text and <a>)
    att_name: str
    att_url: str
    att_image: bool


def _shown(m: threads.MessageView) -> ShownMessage:
    try:
        at = datetime.fromisoformat(m["at"])
        when = inbox.when(at)
    except ValueError:
        when = ""
    att = m["attachment"]
    return ShownMessage(**m, when=when, parts=message_parts(m["body"]), att_name=att["name"] if att else "",
                        att_url=att["url"] if att else "", att_image=bool(att and att["image"]))


def _conversation_in(path: str) -> str:
    """The conversation named by the address (/staff/inbox/<id>), "" for the list alone."""
    path = (path or "").rstrip("/")
    if not path.startswith(TOP + "/"):
        return ""
    return path[len(TOP) + 1:][:ID_MAX + 1]


class InboxNavState(BaseState):
    """The number beside "Inbox" in the staff navigation: conversations with client messages
    this staff member has not read. Read when the navigation appears and on every hint."""

    inbox_unread: int = 0
    _topic: str = ""

    def _count(self, db, ws, actor) -> None:
        self._assign(inbox_unread=inbox.unread_count(db, actor))
        self._topic = hints.staff_topic(ws.id)

    @rx.event
    async def load_count(self):
        await self._run(self._count, on_error=lambda exc: None, keep_notice=True)
        if self._outcome == "ok" and self._topic:
            await chat_push.follow(self, self._topic, "on_hint")

    @rx.event
    async def on_hint(self):
        await self._run(self._count, on_error=lambda exc: None, keep_notice=True)


class InboxState(BaseState):
    rows: rx.Field[list[inbox.InboxRow]] = rx.field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    q: str = ""
    who: str = "all"
    status_filter: str = "open"
    refusal: str = ""
    # the open conversation
    selected: str = ""
    thread_error: str = ""
    head_status: str = ""
    assigned_id: str = ""
    assigned_name: str = ""
    card: inbox.ContactCard = {}  # type: ignore[typeddict-item]
    thread: rx.Field[list[ShownMessage]] = rx.field(default_factory=list)
    has_older: bool = False
    colleagues: rx.Field[list[inbox.Colleague]] = rx.field(default_factory=list)
    # the composer
    note_mode: bool = False
    composer_seed: str = ""     # what the composer starts with (a canned reply picked)
    form_version: int = 0       # remounts the composer (clears it, or puts the seed in)
    send_error: str = ""
    uploading: bool = False     # an attachment is on its way (the progress bar)
    upload_percent: int = 0
    typing_seq: int = 0         # bumped by on_typing: "<client> is typing…" shows for 4 s
    # canned replies: everyone picks; owners and admins write and delete
    canned: rx.Field[list[canned.CannedView]] = rx.field(default_factory=list)
    can_manage_canned: bool = False
    canned_open: bool = False
    canned_editing: str = ""    # the reply being edited ("" = a new one)
    canned_title: str = ""
    canned_body: str = ""
    canned_version: int = 0
    canned_error: str = ""
    _topic: str = ""
    _typing_in: str = ""        # the open conversation's client-side typing topic
    _typing_followed: str = ""

    # --- helpers (server-side only) -----------------------------------------------------

    def _list(self, db, actor) -> None:
        found = inbox.inbox(db, actor, q=self.q, who=self.who, status=self.status_filter, page=self.page)
        self._assign(rows=found["rows"], total=found["total"], page=found["page"], pages=found["pages"], refusal="")

    def _last_seq(self) -> int:
        return self.thread[-1]["seq"] if self.thread else 0

    def _read_up_to(self, db, actor) -> None:
        if self.selected and self.thread:
            messages.mark_read_staff(db, actor, self.selected, self._last_seq())

    def _head(self, db, actor) -> None:
        head = inbox.thread_head(db, actor, self.selected)
        self._assign(head_status=head["status"], assigned_id=head["assigned_id"], assigned_name=head["assigned"],
                     card=head["card"], thread_error="")

    def _open(self, db, actor, conversation_id: str) -> None:
        self.selected = conversation_id
        self._head(db, actor)
        page = threads.staff_messages(db, actor, conversation_id)
        self._assign(thread=[_shown(m) for m in page], has_older=len(page) >= threads.PAGE)
        self._read_up_to(db, actor)

    def _close(self) -> None:
        self._assign(selected="", thread=[], has_older=False, head_status="", assigned_id="", assigned_name="",
                     card={}, send_error="", note_mode=False, composer_seed="", thread_error="", uploading=False,
                     upload_percent=0, typing_seq=0)
        self._typing_in = ""

    def _catch_up(self, db, actor) -> None:
        """Messages newer than the last one shown (a hint, or after a send): none twice."""
        newer = threads.staff_messages(db, actor, self.selected, after=self._last_seq(), limit=100)
        if newer:
            known = {m["id"] for m in self.thread}
            self.thread = self.thread + [_shown(m) for m in newer if m["id"] not in known]
        self._head(db, actor)
        self._read_up_to(db, actor)

    async def _follow(self) -> None:
        """This tab wants `on_hint` on the workspace's staff topic."""
        if self._outcome == "ok" and self._topic:
            await chat_push.follow(self, self._topic, "on_hint")
        if self._typing_in != self._typing_followed:
            if self._typing_followed:
                await chat_push.unfollow(self, self._typing_followed)
            if self._typing_in:
                await chat_push.follow(self, self._typing_in, "on_typing")
            self._typing_followed = self._typing_in

    # --- handlers -----------------------------------------------------------------------

    @rx.event
    async def load(self):
        wanted = _conversation_in(self.router.url.path or "")
        nav = await self.get_state(InboxNavState)
        listed = {"ok": False}

        def work(db, ws, actor):
            self._topic = hints.staff_topic(ws.id)
            self._assign(canned_open=False, canned_error="", send_error="")
            self._assign(colleagues=inbox.colleagues(db, actor), canned=canned.list_replies(db, actor),
                         can_manage_canned=canned.may_manage(actor))
            missing: NotFound | None = None
            if wanted:
                if wanted != self.selected:
                    self._assign(note_mode=False, composer_seed="", typing_seq=0)
                    self.form_version += 1
                try:
                    self._open(db, actor, wanted)  # marks it read: the list below shows it so
                    self._typing_in = hints.typing_topic(ws.id, wanted, "client")
                except NotFound as exc:
                    missing = exc
            else:
                self._close()
            self._list(db, actor)
            listed["ok"] = True
            nav._count(db, ws, actor)
            if missing is not None:
                raise missing

        def refused(exc: ServiceError):
            self._close()
            if listed["ok"]:
                # the list is theirs; the conversation in the address is not (or no longer) there
                self.thread_error = exc.message
                return
            self._assign(rows=[], total=0, colleagues=[], canned=[], refusal=exc.message)

        result = await self._run(work, on_error=refused)
        await self._follow()
        return result

    @rx.event
    async def search(self, form: dict):
        form = form if isinstance(form, dict) else {}
        self.q, self.page = str(form.get("q", ""))[: limits.SEARCH + 1], 1

        def work(db, ws, actor):
            self._list(db, actor)

        return await self._run(work, on_error=lambda exc: self._notify(exc.message, "red"), keep_notice=True)

    @rx.event
    async def set_who(self, value: str):
        self.who, self.page = str(value)[:20], 1
        return await self._run(lambda db, ws, actor: self._list(db, actor), keep_notice=True)

    @rx.event
    async def set_status_filter(self, value: str):
        self.status_filter, self.page = str(value)[:20], 1
        return await self._run(lambda db, ws, actor: self._list(db, actor), keep_notice=True)

    @rx.event
    async def go_page(self, delta: int):
        try:
            step = max(-1, min(1, int(delta)))
        except (TypeError, ValueError):
            step = 0
        self.page = max(1, self.page + step)
        return await self._run(lambda db, ws, actor: self._list(db, actor), keep_notice=True)

    @rx.event
    async def load_older(self):
        def work(db, ws, actor):
            before = self.thread[0]["seq"] if self.thread else None
            older = threads.staff_messages(db, actor, self.selected, before=before)
            if before is None:  # nothing shown yet: this is the newest page
                self._assign(thread=[_shown(m) for m in older], has_older=len(older) >= threads.PAGE)
                return
            self._assign(thread=[_shown(m) for m in older] + self.thread, has_older=len(older) >= threads.PAGE)

        return await self._run(work, keep_notice=True)

    @rx.event
    def set_note_mode(self, value: bool):
        self.note_mode = bool(value)

    @rx.event
    async def send(self, form: dict):
        form = form if isinstance(form, dict) else {}
        body = str(form.get("body", ""))[: limits.CHAT_MESSAGE + 1]
        internal = self.note_mode
        nav = await self.get_state(InboxNavState)

        def work(db, ws, actor):
            messages.send_from_staff(db, actor, self.selected, body, internal=internal)
            self._catch_up(db, actor)
            self._list(db, actor)
            self._assign(send_error="", composer_seed="", note_mode=False)
            self.form_version += 1
            nav._count(db, ws, actor)

        def failed(exc: ServiceError):
            self.send_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def use_canned(self, reply_id: str):
        reply_id = str(reply_id)[:ID_MAX + 1]
        if not reply_id:
            return None

        def work(db, ws, actor):
            self.composer_seed = canned.reply_body(db, actor, reply_id)
            self.form_version += 1

        return await self._run(work, keep_notice=True)

    @rx.event
    async def assign_to(self, staff_id: str):
        staff_id = "" if staff_id in ("", "nobody") else str(staff_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            name = inbox.assign(db, actor, self.selected, staff_id)
            self._head(db, actor)
            self._list(db, actor)
            self._notify(f"Assigned to {name}." if name else "Nobody is assigned now.")

        return await self._run(work)

    @rx.event
    async def resolve(self):
        def work(db, ws, actor):
            inbox.resolve(db, actor, self.selected)
            self._head(db, actor)
            self._list(db, actor)
            self._notify("Resolved. A new message from the client opens it again.")

        return await self._run(work)

    @rx.event
    async def reopen(self):
        def work(db, ws, actor):
            inbox.reopen(db, actor, self.selected)
            self._head(db, actor)
            self._list(db, actor)
            self._notify("Open again.")

        return await self._run(work)

    @rx.event
    async def on_hint(self):
        """Something changed in the workspace's conversations: re-read what is new."""
        nav = await self.get_state(InboxNavState)

        def work(db, ws, actor):
            self._list(db, actor)
            if self.selected:
                self._catch_up(db, actor)
            nav._count(db, ws, actor)

        return await self._run(work, on_error=lambda exc: None, keep_notice=True)

    # --- canned replies (managing: owners and admins; the service asks) ------------------

    @rx.event
    def set_canned_open(self, value: bool):
        self.canned_open = bool(value)
        if not value:
            self.canned_editing, self.canned_title, self.canned_body, self.canned_error = "", "", "", ""

    @rx.event
    def edit_canned(self, reply_id: str):
        found = next((r for r in self.canned if r["id"] == str(reply_id)[:ID_MAX + 1]), None)
        if found is None:
            self.canned_editing, self.canned_title, self.canned_body = "", "", ""
        else:
            self.canned_editing, self.canned_title, self.canned_body = found["id"], found["title"], found["body"]
        self.canned_error = ""
        self.canned_version += 1

    @rx.event
    async def save_canned(self, form: dict):
        form = form if isinstance(form, dict) else {}
        title = str(form.get("canned_title", ""))[: limits.CANNED_REPLY_TITLE + 1]
        body = str(form.get("canned_body", ""))[: limits.CHAT_MESSAGE + 1]
        editing = self.canned_editing

        def work(db, ws, actor):
            if editing:
                canned.update_reply(db, actor, editing, title, body)
            else:
                canned.create_reply(db, actor, title, body)
            self._assign(canned=canned.list_replies(db, actor), canned_editing="", canned_title="", canned_body="",
                         canned_error="")
            self.canned_version += 1
            self._notify("Canned reply saved.")

        def failed(exc: ServiceError):
            self.canned_error = exc.message

        return await self._run(work, on_error=failed)

    @rx.event
    async def delete_canned(self, reply_id: str):
        reply_id = str(reply_id)[:ID_MAX + 1]

        def work(db, ws, actor):
            canned.delete_reply(db, actor, reply_id)
            self._assign(canned=canned.list_replies(db, actor), canned_error="")
            if self.canned_editing == reply_id:
                self._assign(canned_editing="", canned_title="", canned_body="")
                self.canned_version += 1
            self._notify("Canned reply deleted.")

        def failed(exc: ServiceError):
            self.canned_error = exc.message

        return await self._run(work, on_error=failed)

    # --- typing ------------------------------------------------------------------------------

    @rx.event
    async def typing(self):
        """This staff member is typing a reply (the composer's watcher, at most every 3 s): the
        client sees "… is typing". Never for an internal note."""
        if not self.selected or self.note_mode:
            return None
        topic = {"t": ""}

        def work(db, ws, actor):
            staff, _conv = threads.staff_conversation(db, actor, self.selected)
            topic["t"] = hints.typing_topic(staff.workspace_id, self.selected, "staff")

        await self._run(work, on_error=lambda exc: None, keep_notice=True)
        if topic["t"]:
            await chat_push.typing(self, topic["t"])
        return None

    @rx.event
    def on_typing(self):
        """The client of the open conversation is typing (a hint): shown for 4 s."""
        if self.selected:
            self.typing_seq += 1

    # --- attachments (the paperclip: Reflex's upload, a buffered handler with the "chat" limit)

    @rx.event
    def upload_progress(self, prog: dict):
        """The browser's upload progress (0..1) for the progress bar."""
        percent = chat_upload.progress_percent(prog)
        if percent is not None:
            self._assign(uploading=True, upload_percent=percent)

    @rx.event
    def attachment_refused(self, names: list, sizes: list, reasons: list):
        """The file chooser refused a file before sending it (type, size): say why."""
        self._assign(send_error=chat_upload.chooser_refusal(names, reasons), uploading=False, upload_percent=0)

    @rx.event
    async def send_file(self, files: list[rx.UploadFile]):
        """An image or PDF chosen with the paperclip: sent at once as a message of its own (a
        note in note mode); the text in the composer stays."""
        name, data = await chat_upload.read_one(files)
        if name is None:
            self._assign(uploading=False, upload_percent=0)
            return None
        internal = self.note_mode
        nav = await self.get_state(InboxNavState)

        def work(db, ws, actor):
            attachments.send_with_file(db, actor, "", name, data, conversation=self.selected, internal=internal)
            self._catch_up(db, actor)
            self._list(db, actor)
            self._assign(send_error="", uploading=False, upload_percent=0)
            nav._count(db, ws, actor)

        def failed(exc: ServiceError):
            self._assign(send_error=exc.message, uploading=False, upload_percent=0)

        return await self._run(work, on_error=failed)
