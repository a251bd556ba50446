"""Conversations: one thread per client (contact) of a workspace, its messages (a staff member's
internal note is a message the client never sees), read markers, canned replies, and the
client's timeline (chat messages, emails the portal sent, and what happened to their invoices,
documents and files, written in the transaction of the change it records).

Status of a conversation:

    open → resolved (staff);  resolved → open (staff, or the client's next message)

Read markers are message ids: the client has read everything up to `client_last_read_id`; each
staff member up to their `ConversationStaffRead.last_read_id`. The email fallback remembers, per
side, the last message id it emailed (`client_emailed_up_to`, `staff_emailed_up_to`), so one
batched email covers what is new and nothing is emailed twice.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal_app import limits
from portal_app.models.base import new_public_id, ts_column, utcnow

CONVERSATION_STATUSES = ("open", "resolved")
CONVERSATION_TRANSITIONS: dict[str, tuple[str, ...]] = {"open": ("resolved",), "resolved": ("open",)}
AUTHORS = ("client", "staff")
STAFF_CHAT_EMAIL = ("all", "assigned", "none")  # StaffUser.chat_email: which unread messages reach them by email
TIMELINE_KINDS = ("message", "email", "invoice", "document", "file", "appointment", "account")


class ConversationStatusError(ValueError):
    """A status change the rules above do not allow."""


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "contact_id", name="uq_conversation_contact"),
        # the inbox: a workspace's conversations by status, most recent first
        sa.Index("ix_conversation_inbox", "workspace_id", "status", "last_message_at"),
        # the staff nav's unread count: a workspace's conversations with a client message
        sa.Index("ix_conversation_unread", "workspace_id", "last_client_message_id"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("cv"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    status: str = Field(default="open", max_length=10)
    assigned_staff_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    last_message_at: datetime | None = Field(default=None, sa_column=ts_column())
    last_message_preview: str = Field(default="", max_length=limits.CHAT_PREVIEW)
    last_message_from: str = Field(default="", max_length=10)  # client | staff
    client_last_read_id: int = Field(default=0)
    # the newest client message's id (0: none yet): the unread count reads no message
    last_client_message_id: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    client_emailed_up_to: int = Field(default=0)
    staff_emailed_up_to: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    def move_to(self, status: str) -> None:
        if status == self.status:
            return
        if status not in CONVERSATION_TRANSITIONS.get(self.status, ()):
            raise ConversationStatusError(f"a conversation cannot go from {self.status} to {status}")
        self.status = status


class ConversationMessage(SQLModel, table=True):
    __tablename__ = "conversation_message"
    __table_args__ = (sa.Index("ix_conversation_message_thread", "conversation_id", "id"),)

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("msg"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    author: str = Field(max_length=10)  # client | staff
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    body: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # at most limits.CHAT_MESSAGE
    internal: bool = Field(default=False)  # a staff note: never shown to the client
    attachment_key: str = Field(default="", max_length=300)
    attachment_name: str = Field(default="", max_length=limits.FILE_NAME)
    attachment_type: str = Field(default="", max_length=100)
    attachment_size: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class ConversationStaffRead(SQLModel, table=True):
    """How far one staff member has read one conversation."""

    __tablename__ = "conversation_staff_read"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "staff_user_id", name="uq_conversation_staff_read"),)

    id: int = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True)
    last_read_id: int = Field(default=0)


class CannedReply(SQLModel, table=True):
    __tablename__ = "canned_reply"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("cr"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    title: str = Field(max_length=limits.CANNED_REPLY_TITLE)
    body: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))  # at most limits.CHAT_MESSAGE
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class TimelineEntry(SQLModel, table=True):
    """One line of a client's history. `client_visible` False: staff only (internal events).
    An email's entry carries its delivery status and its text with one-time links redacted."""

    __tablename__ = "timeline_entry"
    __table_args__ = (sa.Index("ix_timeline_contact", "workspace_id", "contact_id", "at", "id"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    kind: str = Field(max_length=20)  # TIMELINE_KINDS
    title: str = Field(max_length=300)
    detail: str = Field(default="", max_length=500)
    client_link: str = Field(default="", max_length=300)  # a portal path, e.g. /invoices/inv_…
    staff_link: str = Field(default="", max_length=300)   # a staff path
    client_visible: bool = Field(default=True)
    ref: str = Field(default="", max_length=100, index=True)  # e.g. "outbox:123" for an email, a message's public id
    status: str = Field(default="", max_length=20)  # an email: queued | sent | failed
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
