"""Finding conversations and what each side sees of them.

A client has at most one conversation per workspace (made at their first message, or when staff
start one from the contact record). What the client sees never includes a staff note; staff of
another workspace see nothing (not found).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import (
    Actor,
    Client,
    Staff,
    require_client_chat,
    require_inbox,
    staff_may_see_conversation,
)
from portal_app.db import begin_write, savepoint
from portal_app.errors import NotFound
from portal_app.models import Contact, Conversation, ConversationMessage, ConversationStaffRead, StaffUser, utcnow
from portal_app.services.portal.portal_settings import portal_settings_for

PAGE = 30  # messages per page of a thread (older pages on scroll up)


class Attachment(TypedDict):
    name: str
    type: str
    size: int
    url: str        # the authorized download route
    image: bool


class MessageView(TypedDict):
    id: str
    seq: int              # the message's order in its thread (the row id): pages and catch-up use it
    author: str           # client | staff
    author_name: str
    mine: bool            # written by the side that is looking
    body: str
    internal: bool
    at: str               # ISO 8601, UTC
    read: bool            # the other side has read it (only meaningful on own messages)
    attachment: Attachment | None


def attachment_url(message_public_id: str) -> str:
    return f"/api/conversations/attachments/{message_public_id}"


def client_conversation(db: Session, actor: Actor) -> tuple[Client, Conversation | None]:
    """The signed-in client's conversation (None before the first message)."""
    client = require_client_chat(actor, portal_settings_for(db, getattr(actor, "workspace_id", 0)))
    conv = db.exec(select(Conversation).where(Conversation.workspace_id == client.workspace_id,
                                              Conversation.contact_id == client.contact_id)).first()
    return client, conv


def staff_conversation(db: Session, actor: Actor, public_id: str, *, lock: bool = False) -> tuple[Staff, Conversation]:
    staff = require_inbox(actor)
    q = select(Conversation).where(Conversation.public_id == str(public_id or "")[:40])
    if lock:
        begin_write(db)
        q = q.execution_options(populate_existing=True)
        if db.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
    conv = db.exec(q).first()
    if conv is None or not staff_may_see_conversation(staff, conv):
        raise NotFound("This conversation does not exist.")
    return staff, conv


def get_or_create(db: Session, workspace_id: int, contact_id: int) -> Conversation:
    """The contact's conversation, made now if they have none (a race on the unique key: the
    other transaction's row is read)."""
    found = db.exec(select(Conversation).where(Conversation.workspace_id == workspace_id,
                                               Conversation.contact_id == contact_id)).first()
    if found is not None:
        return found
    try:
        with savepoint(db):
            conv = Conversation(workspace_id=workspace_id, contact_id=contact_id)
            db.add(conv)
            db.flush()
            return conv
    except sa.exc.IntegrityError:
        return db.exec(select(Conversation).where(Conversation.workspace_id == workspace_id,
                                                  Conversation.contact_id == contact_id)).one()


def start_for_contact(db: Session, actor: Actor, contact_public_id: str) -> Conversation:
    """Staff's "Message" on a contact record: opens the contact's conversation, or starts one."""
    staff = require_inbox(actor)
    contact = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                            Contact.public_id == str(contact_public_id or "")[:40])).first()
    if contact is None:
        raise NotFound("This contact does not exist.")
    return get_or_create(db, staff.workspace_id, contact.id)


def _names(db: Session, messages: list[ConversationMessage]) -> dict[int, str]:
    ids = {m.staff_user_id for m in messages if m.staff_user_id}
    if not ids:
        return {}
    return {u.id: u.name for u in db.exec(select(StaffUser).where(col(StaffUser.id).in_(ids))).all()}


def _page(db: Session, conv: Conversation, *, internal: bool, before: int | None, after: int | None,
          limit: int) -> list[ConversationMessage]:
    q = select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id)
    if not internal:
        q = q.where(col(ConversationMessage.internal).is_(False))
    if after is not None:  # catching up: everything newer, oldest first
        return list(db.exec(q.where(ConversationMessage.id > after).order_by(col(ConversationMessage.id))
                            .limit(limit)).all())
    if before is not None:
        q = q.where(ConversationMessage.id < before)
    rows = list(db.exec(q.order_by(col(ConversationMessage.id).desc()).limit(limit)).all())
    rows.reverse()
    return rows


def _iso(at: datetime) -> str:
    return at.isoformat()


def _view(m: ConversationMessage, *, viewer: str, names: dict[int, str], contact_name: str,
          other_read_id: int) -> MessageView:
    att: Attachment | None = None
    if m.attachment_key:
        att = Attachment(name=m.attachment_name, type=m.attachment_type, size=m.attachment_size,
                         url=attachment_url(m.public_id), image=m.attachment_type.startswith("image/"))
    author_name = contact_name if m.author == "client" else names.get(m.staff_user_id or 0, "Team")
    return MessageView(id=m.public_id, seq=m.id, author=m.author, author_name=author_name,
                       mine=m.author == viewer, body=m.body, internal=m.internal, at=_iso(m.created_at),
                       read=m.id <= other_read_id, attachment=att)


def _contact_name(db: Session, conv: Conversation) -> str:
    c = db.get(Contact, conv.contact_id)
    return f"{c.first_name} {c.last_name}".strip() or c.email if c else "Client"


def staff_read_upto(db: Session, conv: Conversation) -> int:
    """How far any staff member has read (the client sees "Read" once someone has)."""
    ids = db.exec(select(ConversationStaffRead.last_read_id)
                  .where(ConversationStaffRead.conversation_id == conv.id)).all()
    return max(ids, default=0)


def client_messages(db: Session, actor: Actor, *, before: int | None = None, after: int | None = None,
                    limit: int = PAGE) -> list[MessageView]:
    """The client's thread: a page (newest `limit`, or older than `before`, or newer than `after`)."""
    client, conv = client_conversation(db, actor)
    if conv is None:
        return []
    rows = _page(db, conv, internal=False, before=before, after=after, limit=min(limit, 100))
    names, read_upto = _names(db, rows), staff_read_upto(db, conv)
    return [_view(m, viewer="client", names=names, contact_name=client.name, other_read_id=read_upto) for m in rows]


def staff_messages(db: Session, actor: Actor, public_id: str, *, before: int | None = None,
                   after: int | None = None, limit: int = PAGE) -> list[MessageView]:
    _staff, conv = staff_conversation(db, actor, public_id)
    rows = _page(db, conv, internal=True, before=before, after=after, limit=min(limit, 100))
    names = _names(db, rows)
    return [_view(m, viewer="staff", names=names, contact_name=_contact_name(db, conv),
                  other_read_id=conv.client_last_read_id) for m in rows]


def client_unread(db: Session, actor: Actor) -> int:
    """Staff messages (not notes) the client has not read yet."""

    _client, conv = client_conversation(db, actor)
    if conv is None:
        return 0
    return int(db.exec(select(sa.func.count()).select_from(ConversationMessage).where(
        ConversationMessage.conversation_id == conv.id, ConversationMessage.author == "staff",
        col(ConversationMessage.internal).is_(False), ConversationMessage.id > conv.client_last_read_id)).one())


def touch(conv: Conversation, message: ConversationMessage) -> None:
    """The conversation's summary after a (flushed) message (notes do not move it for the client)."""
    if message.internal:
        conv.updated_at = utcnow()
        return
    preview = message.body.replace("\n", " ").strip()
    if not preview and message.attachment_key:
        preview = f"Attachment: {message.attachment_name}"
    conv.last_message_at, conv.last_message_from = message.created_at, message.author
    if message.author == "client":
        conv.last_client_message_id = max(conv.last_client_message_id or 0, message.id or 0)
    conv.last_message_preview = preview[:200]
    conv.updated_at = utcnow()
