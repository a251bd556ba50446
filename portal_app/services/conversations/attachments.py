"""Chat attachments: one file with a message, stored through adapters/storage, read back only
by those who may read the message.

`send_with_file` is one use case, whoever calls it (the api/ route POST
/api/conversations/messages, or a Reflex upload handler): the caller has the bytes (read at
most ATTACHMENT_MAX_BYTES + 1 of them), the sender is authorized first, the file is judged by
its content (PNG, JPEG, GIF, WebP or PDF magic bytes; the browser's type and the name's
extension are never trusted), stored under `<workspace public id>/chat/<random>`, then the
message is sent (services/conversations/messages.py). A refused send removes the blob at once;
a transaction that rolls back later (a failed commit) removes it too (the key is kept on the
session until commit, as adapters/hints.py keeps its topics).

`open_attachment` is the download rule: the client of that conversation (never a staff note's
file, and only while the chat widget is on) or staff of its workspace; anyone else gets
NotFound, like a message that does not exist.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from portal_app.access import Actor, client_may_see_message, is_staff, require_inbox, staff_may_see_conversation
from portal_app.adapters.storage import get_storage
from portal_app.errors import Invalid, NotFound
from portal_app.models import Conversation, ConversationMessage, Workspace
from portal_app.services.conversations import messages, threads
from portal_app.services.files.filetypes import (
    CHECKED_EXTENSIONS,
    HEAD_BYTES,
    clean_file_name,
    extension,
    human_size,
    sniff,
)

log = logging.getLogger("portal.conversations.attachments")

INLINE_TYPES = frozenset(messages.ATTACHMENT_TYPES)  # shown in the browser (under a sandboxing CSP)
_PENDING = "portal.chat_blobs"  # db.info key: blobs stored in this transaction, removed if it rolls back
_MESSAGE_ID = 40  # the longest public id looked up (new_public_id makes shorter ones)


def _limit_text() -> str:
    limit, mb = messages.ATTACHMENT_MAX_BYTES, 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else human_size(limit)


def too_large_message() -> str:
    return f"An attachment can be at most {_limit_text()}. Nothing was sent."


def refused_in_chooser(raw_name: object, reasons: list[str]) -> str:
    """Why the browser's file chooser refused a file before sending it (react-dropzone's codes:
    file-invalid-type, file-too-large, too-many-files), in the words `judge` uses."""
    name = clean_file_name(str(raw_name or ""))
    if "file-too-large" in reasons:
        return f"“{name}” is too large: an attachment can be at most {_limit_text()}. Nothing was sent."
    if "too-many-files" in reasons:
        return "Attach one file at a time. Nothing was sent."
    return f"“{name}” cannot be attached: attach an image (PNG, JPEG, GIF, WebP) or a PDF. Nothing was sent."


def judge(raw_name: object, data: bytes) -> tuple[str, str]:
    """(clean file name, content type from the bytes), or Invalid (field "file") with a message
    that names the file: empty, too large, not an image or PDF, or content contradicting the name."""
    name = clean_file_name(str(raw_name or ""))
    if not data:
        raise Invalid(f"“{name}” is empty. Nothing was sent.", "file")
    if len(data) > messages.ATTACHMENT_MAX_BYTES:
        raise Invalid(f"“{name}” is too large: an attachment can be at most {_limit_text()}. Nothing was sent.",
                      "file")
    content_type, allowed = sniff(data[:HEAD_BYTES])
    ext = extension(name)
    if ext in CHECKED_EXTENSIONS and ext not in allowed:  # e.g. a web page or a GIF named .png
        raise Invalid(f"“{name}” is not a real .{ext} file: its content does not match its name. "
                      "Nothing was sent.", "file")
    if content_type not in messages.ATTACHMENT_TYPES:
        raise Invalid(f"“{name}” cannot be attached: attach an image (PNG, JPEG, GIF, WebP) or a PDF. "
                      "Nothing was sent.", "file")
    return name, content_type


def _authorize(db: Session, actor: Actor, conversation_public_id: str | None) -> int:
    """The workspace id the sender writes in (NotFound / NotSignedIn as sending would)."""
    if is_staff(actor):
        staff, _ = threads.staff_conversation(db, actor, conversation_public_id or "")
        return staff.workspace_id
    client, _none_yet = threads.client_conversation(db, actor)
    return client.workspace_id


def _store(db: Session, workspace_id: int, name: str, content_type: str, data: bytes) -> messages.StoredAttachment:
    ws = db.get_one(Workspace, workspace_id)
    key = f"{ws.public_id}/chat/{secrets.token_urlsafe(18)}"
    get_storage().put(key, data, content_type)
    db.info.setdefault(_PENDING, set()).add(key)
    return messages.StoredAttachment(key=key, name=name, content_type=content_type, size=len(data))


def discard(key: str) -> None:
    """Remove a stored blob no message refers to (a failure is logged: an orphan, never an error)."""
    try:
        get_storage().delete(key)
    except Exception:
        log.exception("could not remove the chat attachment %s", key)


def send_with_file(db: Session, actor: Actor, body: object, file_name: object = None, data: bytes | None = None, *,
                   conversation: str | None = None, internal: bool = False) -> threads.MessageView:
    """Send a message with an optional file: a client to their own conversation, staff to
    `conversation` (public id; `internal` makes it a note). `data` None or b"" with no name:
    no attachment."""
    workspace_id = _authorize(db, actor, conversation)
    attachment = None
    if data or file_name:
        name, content_type = judge(file_name, data or b"")
        attachment = _store(db, workspace_id, name, content_type, data or b"")
    try:
        if is_staff(actor):
            return messages.send_from_staff(db, actor, conversation or "", body, internal=internal,
                                            attachment=attachment)
        return messages.send_from_client(db, actor, body, attachment=attachment)
    except BaseException:
        if attachment is not None:
            db.info.get(_PENDING, set()).discard(attachment.key)
            discard(attachment.key)
        raise


# SQLAlchemy sends after_commit / after_rollback for a SAVEPOINT's release or rollback too
# (get_or_create makes a conversation inside one): only the outermost transaction decides.

@sa.event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


@sa.event.listens_for(Session, "after_rollback")
def _remove_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        for key in sorted(session.info.pop(_PENDING, ())):
            discard(key)


@dataclass(frozen=True)
class AttachmentFile:
    name: str
    key: str
    size: int
    content_type: str
    inline: bool


def open_attachment(db: Session, actor: Actor, message_public_id: str) -> AttachmentFile:
    """The attachment of message `message_public_id` if `actor` may read it, else NotFound."""
    public_id = str(message_public_id or "")[:_MESSAGE_ID]
    message: ConversationMessage | None
    if is_staff(actor):
        staff = require_inbox(actor)
        row = db.exec(select(ConversationMessage, Conversation)
                      .join(Conversation, Conversation.id == ConversationMessage.conversation_id)  # type: ignore[arg-type]
                      .where(ConversationMessage.workspace_id == staff.workspace_id,
                             ConversationMessage.public_id == public_id)).first()
        if row is None or not staff_may_see_conversation(staff, row[1]):
            raise NotFound()
        message = row[0]
    else:
        client, conv = threads.client_conversation(db, actor)
        if conv is None:
            raise NotFound()
        message = db.exec(select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id,
                                                            ConversationMessage.public_id == public_id)).first()
        if message is None or not client_may_see_message(client, conv, message):
            raise NotFound()
    if message is None or not message.attachment_key:
        raise NotFound()
    content_type = message.attachment_type or "application/octet-stream"
    return AttachmentFile(message.attachment_name or "attachment", message.attachment_key,
                          int(message.attachment_size or 0), content_type, content_type in INLINE_TYPES)
