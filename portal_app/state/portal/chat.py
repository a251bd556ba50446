"""The client's chat widget (components/chat_widget.py, part of the client shell): the
conversation with the business, in a panel that stays open or closed across the pages of a tab.

Only for a signed-in client of a workspace that has the chat widget switched on (the services
decide: access.require_client_chat); anyone else gets an empty, hidden widget. The database is
the truth: `on_hint` (called by the live push, chat_push.follow) and every page change re-read
what is newer than the last message shown (`after=`), so nothing is lost or shown twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import reflex as rx

from portal_app import limits
from portal_app.access import is_client
from portal_app.adapters import hints
from portal_app.errors import NotFound, ServiceError
from portal_app.services.conversations import attachments, threads
from portal_app.services.conversations import messages as chat_messages
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.wording import Part, message_parts
from portal_app.state import chat_push, chat_upload
from portal_app.state.base import BaseState

KEEP = 300  # messages held in the tab at most (older pages scrolled back beyond it fall off the top)

class ChatMessage(TypedDict):
    id: str
    seq: int
    mine: bool
    author_name: str
    parts: list[Part]
    at: str      # ISO 8601 (the <time> element's datetime)
    time: str    # as shown
    status: str  # own messages: "Read" | "Sent"; others: ""
    att_name: str
    att_url: str
    att_image: bool


def _time_label(iso: str) -> str:
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    return f"{at.day} {at.strftime('%b %H:%M')} UTC"


def chat_line(m: threads.MessageView) -> ChatMessage:
    att = m["attachment"]
    return ChatMessage(
        id=m["id"], seq=m["seq"], mine=m["mine"], author_name=m["author_name"], parts=message_parts(m["body"]),
        at=m["at"], time=_time_label(m["at"]), status=("Read" if m["read"] else "Sent") if m["mine"] else "",
        att_name=att["name"] if att else "", att_url=att["url"] if att else "", att_image=bool(att and att["image"]))


class ChatState(BaseState):
    enabled: bool = False            # this viewer may chat here (the widget is drawn at all)
    open: bool = False               # the panel (kept across the pages of this tab)
    messages: list[ChatMessage] = []  # oldest first, newest at the bottom
    has_older: bool = False
    unread: int = 0                  # staff messages not read yet (the launcher's badge)
    draft: str = ""                  # the composer's text (kept when a send is refused)
    composer_key: int = 0            # bumped after a send: the composer starts empty again
    error: str = ""                  # shown beside the composer
    reply_line: str = ""             # "We usually reply within …" · business hours
    typing_seq: int = 0              # bumped by on_typing: "… is typing" shows for 4 s
    uploading: bool = False          # an attachment is on its way (the progress bar)
    upload_percent: int = 0
    _topic: str = ""
    _typing_in: str = ""             # the staff side's typing topic of this client's conversation
    _typing_followed: str = ""
    _loaded: bool = False

    # --- helpers (not callable from the browser)

    def _last_seq(self) -> int:
        return self.messages[-1]["seq"] if self.messages else 0

    def _merge(self, views: list[threads.MessageView], read_upto: int | None = None) -> None:
        """Add what is new (by seq, never twice), refresh what is shown, keep the order."""
        by_seq = {m["seq"]: m for m in self.messages}
        for v in views:
            by_seq[v["seq"]] = chat_line(v)
        merged = [by_seq[s] for s in sorted(by_seq)]
        if read_upto is not None:
            merged = [{**m, "status": "Read" if m["seq"] <= read_upto else "Sent"} if m["mine"] else m
                      for m in merged]
        merged = merged[-KEEP:]
        if merged != self.messages:
            self.messages = merged

    def _clear(self) -> None:
        self._assign(enabled=False, open=False, messages=[], has_older=False, unread=0, draft="", error="",
                     reply_line="", uploading=False, upload_percent=0)
        self._topic, self._loaded, self._typing_in = "", False, ""

    def _note_conversation(self, client, conv) -> None:
        """The staff side's typing topic, once the conversation exists."""
        self._typing_in = hints.typing_topic(client.workspace_id, conv.public_id, "staff") if conv else ""

    def _catch_up(self, db, actor) -> None:
        """What is newer than the last message shown, the read marks of own messages, the badge;
        read up to the newest if the panel is open."""
        client, conv = threads.client_conversation(db, actor)
        self._note_conversation(client, conv)
        newer = threads.client_messages(db, actor, after=self._last_seq(), limit=100) if conv else []
        self._merge(newer, threads.staff_read_upto(db, conv) if conv else 0)
        self._mark_read_here(db, actor)
        self._assign(unread=threads.client_unread(db, actor))

    def _mark_read_here(self, db, actor) -> None:
        if self.open and self.messages:
            chat_messages.mark_read_client(db, actor, self._last_seq())

    def _fill(self, db, actor) -> str:
        client, conv = threads.client_conversation(db, actor)  # require_client_chat
        self._note_conversation(client, conv)
        settings = portal_settings_for(db, client.workspace_id)
        page = threads.client_messages(db, actor)
        self.messages = []
        self._merge(page)
        line = " · ".join(x for x in (settings.chat_reply_time.strip(), settings.chat_hours.strip()) if x)
        self._assign(enabled=True, has_older=len(page) >= threads.PAGE, reply_line=line, error="")
        self._mark_read_here(db, actor)
        self._assign(unread=threads.client_unread(db, actor))
        self._loaded = True
        return hints.contact_topic(client.workspace_id, client.contact_id)

    def _refused(self, exc: ServiceError) -> None:
        """Chat is not for this viewer (not a client, chat switched off): nothing is kept."""
        self._clear()

    async def _run_and_follow(self, work, on_error):
        """`_run(work)`; a topic (str) it returns is followed for live hints (once per tab),
        anything else (a redirect to sign in) is the handler's answer."""
        result = await self._run(work, on_error=on_error, keep_notice=True)
        await self._follow_typing()
        if isinstance(result, str):
            if result and result != self._topic:
                self._topic = result
                await chat_push.follow(self, result, "on_hint")
            return None
        return result

    async def _follow_typing(self) -> None:
        """Follow the staff side's typing hints once the conversation exists (once per tab)."""
        if self._typing_in and self._typing_in != self._typing_followed:
            await chat_push.follow(self, self._typing_in, "on_typing")
            self._typing_followed = self._typing_in

    def _wants_open(self) -> bool:
        """The address asks for the panel (?chat=open: the link of the chat email)."""
        return self._query("chat") == "open"

    # --- handlers

    @rx.event
    async def load(self):
        """The shell's widget appears (every client page): a first full read for this tab, or a
        catch-up after a page change. Quiet: a viewer who may not chat just gets no widget."""
        wants_open = self._wants_open() and not self.open

        def work(db, ws, actor):
            if not is_client(actor):
                raise NotFound("Chat is not available here.")
            topic = None
            if not self._loaded:
                topic = self._fill(db, actor)
            if wants_open:
                self.open = True
            if self._loaded:
                self._catch_up(db, actor)
            return topic

        answer = await self._run_and_follow(work, self._refused)
        if answer is None and wants_open and self.open:
            return rx.set_focus("chat-composer")
        return answer

    @rx.event
    async def toggle_panel(self):
        """The launcher: opens the panel (reads what is new, marks it read, focuses the
        composer), or closes it."""
        if self.open:
            return self._close()

        def work(db, ws, actor):
            if not self._loaded:
                topic = self._fill(db, actor)
            else:
                topic = None
            self.open = True
            self._catch_up(db, actor)
            return topic

        answer = await self._run_and_follow(work, self._refused)
        return answer if answer is not None else (rx.set_focus("chat-composer") if self.open else None)

    def _close(self):
        self._assign(open=False, error="")
        return rx.set_focus("chat-launcher")

    @rx.event
    def close_panel(self):
        """Close the panel and give the focus back to the launcher (Escape, the close button)."""
        return self._close()

    @rx.event
    async def load_older(self):
        def work(db, ws, actor):
            threads.client_conversation(db, actor)  # require_client_chat, whatever the tab holds
            first = self.messages[0]["seq"] if self.messages else None
            if first is None:
                return
            page = threads.client_messages(db, actor, before=first)
            by_seq = {m["seq"]: m for m in self.messages}
            for v in page:
                by_seq.setdefault(v["seq"], chat_line(v))
            self.messages = [by_seq[s] for s in sorted(by_seq)]
            self.has_older = len(page) >= threads.PAGE

        def refused(exc: ServiceError):
            self.error = exc.message

        return await self._run(work, on_error=refused, keep_notice=True)

    @rx.event
    def set_draft(self, text: str):
        """The composer lost focus: keep its text for the next page (clipped to the limit)."""
        self.draft = str(text or "")[: limits.CHAT_MESSAGE]

    @rx.event
    async def send(self, form_data: dict):
        text = str((form_data or {}).get("body", "") or "")[: limits.CHAT_MESSAGE]

        def work(db, ws, actor):
            chat_messages.send_from_client(db, actor, text)
            topic = None if self._loaded else self._fill(db, actor)
            self._catch_up(db, actor)  # the new message and whatever came before it, once each
            self._assign(draft="", error="")
            self.composer_key += 1
            return topic

        def refused(exc: ServiceError):
            self.draft, self.error = text, exc.message

        answer = await self._run_and_follow(work, refused)
        return answer if answer is not None else (rx.set_focus("chat-composer") if self.open and not self.error else None)

    @rx.event
    async def on_hint(self):
        """Something changed in this client's conversation (a staff reply, a read mark): re-read
        from the database what is newer than the last message shown."""
        def work(db, ws, actor):
            if not is_client(actor):  # signed out meanwhile, or not a client: quietly nothing
                raise NotFound("Chat is not available here.")
            threads.client_conversation(db, actor)  # require_client_chat
            if self._loaded:
                self._catch_up(db, actor)

        result = await self._run(work, on_error=self._refused, keep_notice=True)
        await self._follow_typing()
        return result

    @rx.event
    def on_typing(self):
        """Staff are typing (a hint): "… is typing" shows for 4 s (the page's animation)."""
        if self.enabled:
            self.typing_seq += 1

    @rx.event
    async def typing(self):
        """The client is typing (the composer's watcher, at most every 3 s): staff who have this
        conversation open see "… is typing". Nothing before the conversation exists."""
        topic = {"t": ""}

        def work(db, ws, actor):
            client, conv = threads.client_conversation(db, actor)  # require_client_chat
            if conv is not None:
                topic["t"] = hints.typing_topic(client.workspace_id, conv.public_id, "client")

        await self._run(work, on_error=lambda exc: None, keep_notice=True)
        if topic["t"]:
            await chat_push.typing(self, topic["t"])

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
        self._assign(error=chat_upload.chooser_refusal(names, reasons), uploading=False, upload_percent=0)

    @rx.event
    async def send_file(self, files: list[rx.UploadFile]):
        """An image or PDF chosen with the paperclip: sent at once as a message of its own (the
        text in the composer stays where it is)."""
        name, data = await chat_upload.read_one(files)
        if name is None:
            self._assign(uploading=False, upload_percent=0)
            return None

        def work(db, ws, actor):
            attachments.send_with_file(db, actor, "", name, data)
            topic = None if self._loaded else self._fill(db, actor)
            self._catch_up(db, actor)
            self._assign(error="", uploading=False, upload_percent=0)
            return topic

        def refused(exc: ServiceError):
            self._assign(error=exc.message, uploading=False, upload_percent=0)

        return await self._run_and_follow(work, refused)
