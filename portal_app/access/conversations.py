"""Conversations: a client's chat, the staff inbox and canned replies, which messages each side
sees, and which staff member is emailed about an unread client message."""

from __future__ import annotations

from portal_app.access.actors import ROLE_RANK, Actor, Client, Staff, require_client, require_staff
from portal_app.errors import NotFound

# --- conversations -----------------------------------------------------------------------------

def require_client_chat(actor: Actor, settings) -> Client:
    """A client may chat only while the business has the chat widget switched on."""
    client = require_client(actor)
    if not settings.chat_widget:
        raise NotFound("Chat is not available in this portal.")
    return client


def require_inbox(actor: Actor) -> Staff:
    """Every staff member reads and answers the workspace's conversations."""
    return require_staff(actor)


def require_manage_canned_replies(actor: Actor) -> Staff:
    return require_staff(actor, "admin")


def client_may_see_message(client: Client, conversation, message) -> bool:
    """A client sees the messages of their own conversation, never a staff note."""
    return (conversation.workspace_id == client.workspace_id and conversation.contact_id == client.contact_id
            and message.conversation_id == conversation.id and not message.internal)


def staff_may_see_conversation(staff: Staff, conversation) -> bool:
    return conversation.workspace_id == staff.workspace_id


def staff_wants_chat_email(member, conversation) -> bool:
    """Whether an unread client message of `conversation` is emailed to staff user `member` (a
    StaffUser row), by their own setting (StaffUser.chat_email): "all" — every conversation of
    their workspace; "assigned" — the conversations assigned to them, and, while one is assigned
    to nobody, owners and admins; "none" — never. A disabled member gets nothing."""
    if member.disabled or member.workspace_id != conversation.workspace_id:
        return False
    if member.chat_email == "all":
        return True
    if member.chat_email == "assigned":
        if conversation.assigned_staff_id is None:
            return ROLE_RANK.get(member.role, 0) >= ROLE_RANK["admin"]
        return conversation.assigned_staff_id == member.id
    return False


def require_own_notifications(actor: Actor) -> Staff:
    """Every staff member chooses which chat messages reach them by email — only their own."""
    return require_staff(actor)
