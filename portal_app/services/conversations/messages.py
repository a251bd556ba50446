"""Sending and reading messages: the client from the chat widget, staff from the inbox.

A message is plain text (links are made clickable by the page, never rendered as HTML), at most
limits.CHAT_MESSAGE characters, optionally with one attachment (an image or a PDF, already put in
storage by the upload route: `StoredAttachment`). Each sender may send RATE_LIMIT messages a
minute. A client's message reopens a resolved conversation. After commit a live hint goes to the
other side's open pages (adapters/hints.py), and the email fallback is scheduled: one job per
conversation and side (`fallback.py`), which emails what is still unread after the workspace's
delay, in one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor
from portal_app.adapters import hints
from portal_app.db import begin_write
from portal_app.errors import Invalid
from portal_app.models import ConversationMessage, ConversationStaffRead, utcnow
from portal_app.services import events, outbox
from portal_app.services.conversations import threads
from portal_app.services.portal.portal_settings import portal_settings_for
from portal_app.services.rate_limit import RateLimiter
from portal_app.services.validation import clean_text

RATE_LIMIT = 20          # messages per sender per minute
RATE = RateLimiter(limit=RATE_LIMIT, window=60)
ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
FALLBACK_KIND = "conversation.email"


@dataclass(frozen=True)
class StoredAttachment:
    key: str
    name: str
    content_type: str
    size: int


def _clean_body(body: object, attachment: StoredAttachment | None) -> str:
    text = clean_text(body, "body", "Message", limits.CHAT_MESSAGE, multiline=True)
    if not text and attachment is None:
        raise Invalid("Write a message or attach a file.", "body")
    return text


def _check_attachment(attachment: StoredAttachment | None) -> None:
    if attachment is None:
        return
    if attachment.content_type not in ATTACHMENT_TYPES:
        raise Invalid("Attach an image (PNG, JPEG, GIF, WebP) or a PDF.", "attachment")
    if not 0 < attachment.size <= ATTACHMENT_MAX_BYTES:
        raise Invalid("An attachment can be at most 10 MB.", "attachment")


def _throttle(key: str) -> None:
    wait = RATE.hit(key)
    if wait is not None:
        raise Invalid(f"You are sending messages very fast. Try again in {max(1, round(wait))} seconds.", "body")


def _schedule_fallback(db: Session, conv, to_side: str) -> None:
    minutes = portal_settings_for(db, conv.workspace_id).chat_email_after_minutes
    if minutes <= 0:
        return
    outbox.enqueue(db, conv.workspace_id, FALLBACK_KIND, {"conversation": conv.public_id, "to": to_side},
                   run_at=utcnow() + timedelta(minutes=minutes), unique_key=f"chat-email:{conv.id}:{to_side}")


def _store(db: Session, conv, message: ConversationMessage, attachment: StoredAttachment | None) -> None:
    if attachment is not None:
        message.attachment_key, message.attachment_name = attachment.key, attachment.name[: limits.FILE_NAME]
        message.attachment_type, message.attachment_size = attachment.content_type, attachment.size
    db.add(message)
    db.flush()  # its id: the conversation remembers its newest client message
    threads.touch(conv, message)
    db.add(conv)
    db.flush()


def send_from_client(db: Session, actor: Actor, body: object,
                     attachment: StoredAttachment | None = None) -> threads.MessageView:
    client, _ = threads.client_conversation(db, actor)
    text = _clean_body(body, attachment)
    _check_attachment(attachment)
    _throttle(f"client:{client.account_id}")
    begin_write(db)
    conv = threads.get_or_create(db, client.workspace_id, client.contact_id)
    if conv.status == "resolved":
        conv.move_to("open")  # the client wrote again: it needs an answer
    message = ConversationMessage(workspace_id=conv.workspace_id, conversation_id=conv.id, author="client", body=text)
    _store(db, conv, message, attachment)
    conv.client_last_read_id = max(conv.client_last_read_id, message.id)  # one's own message is read
    events.raise_event(db, events.MessageReceived(workspace_id=conv.workspace_id, conversation=conv.public_id,
                                                  message=message.public_id, contact=_contact_public_id(db, conv)))
    _schedule_fallback(db, conv, "staff")
    _hint(db, conv)
    names: dict[int, str] = {}
    return threads._view(message, viewer="client", names=names, contact_name=client.name, other_read_id=0)


def send_from_staff(db: Session, actor: Actor, conversation_public_id: str, body: object, *, internal: bool = False,
                    attachment: StoredAttachment | None = None) -> threads.MessageView:
    staff, conv = threads.staff_conversation(db, actor, conversation_public_id, lock=True)
    text = _clean_body(body, attachment)
    _check_attachment(attachment)
    _throttle(f"staff:{staff.user_id}")
    message = ConversationMessage(workspace_id=conv.workspace_id, conversation_id=conv.id, author="staff",
                                  staff_user_id=staff.user_id, body=text, internal=bool(internal))
    _store(db, conv, message, attachment)
    _mark_staff_read(db, conv.id, staff.user_id, message.id)
    if not message.internal:
        events.raise_event(db, events.MessageSent(workspace_id=conv.workspace_id, conversation=conv.public_id,
                                                  message=message.public_id, contact=_contact_public_id(db, conv)))
        _schedule_fallback(db, conv, "client")
    _hint(db, conv)
    return threads._view(message, viewer="staff", names={staff.user_id: staff.name}, contact_name="",
                         other_read_id=conv.client_last_read_id)


def mark_read_client(db: Session, actor: Actor, up_to: int) -> bool:
    """The client has seen the thread up to message `up_to` (their open panel). True if it moved."""
    _client, conv = threads.client_conversation(db, actor)
    if conv is None:
        return False
    up_to = min(int(up_to or 0), _newest_id(db, conv.id))
    if up_to <= conv.client_last_read_id:
        return False
    conv.client_last_read_id = up_to
    db.add(conv)
    _hint(db, conv)
    return True


def mark_read_staff(db: Session, actor: Actor, conversation_public_id: str, up_to: int) -> bool:
    staff, conv = threads.staff_conversation(db, actor, conversation_public_id)
    moved = _mark_staff_read(db, conv.id, staff.user_id, min(int(up_to or 0), _newest_id(db, conv.id)))
    if moved:
        _hint(db, conv)
    return moved


def _newest_id(db: Session, conversation_id: int) -> int:
    """The thread's newest message id (0 for none): a read marker never points past it."""
    return db.exec(select(ConversationMessage.id).where(ConversationMessage.conversation_id == conversation_id)
                   .order_by(col(ConversationMessage.id).desc()).limit(1)).first() or 0


def _mark_staff_read(db: Session, conversation_id: int, staff_user_id: int, up_to: int) -> bool:
    row = db.exec(select(ConversationStaffRead).where(ConversationStaffRead.conversation_id == conversation_id,
                                                      ConversationStaffRead.staff_user_id == staff_user_id)).first()
    if row is None:
        row = ConversationStaffRead(conversation_id=conversation_id, staff_user_id=staff_user_id, last_read_id=0)
    if up_to <= row.last_read_id:
        return False
    row.last_read_id = up_to
    db.add(row)
    db.flush()
    return True


def _contact_public_id(db: Session, conv) -> str:
    from portal_app.models import Contact

    contact = db.get(Contact, conv.contact_id)
    return contact.public_id if contact else ""


def _hint(db: Session, conv) -> None:
    hints.publish_after_commit(db, hints.contact_topic(conv.workspace_id, conv.contact_id))
    hints.publish_after_commit(db, hints.staff_topic(conv.workspace_id))
