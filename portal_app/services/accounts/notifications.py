"""A staff member's own notification settings (Settings › Team, their own row): which unread
client chat messages reach them by email (StaffUser.chat_email; who gets what:
access.staff_wants_chat_email, the email itself: services/conversations/fallback.py).
Each member sets only their own; nobody changes a colleague's.
"""

from __future__ import annotations

from sqlmodel import Session

from portal_app.access import Actor, require_own_notifications
from portal_app.errors import Invalid, NotFound
from portal_app.models import StaffUser

CHAT_EMAIL_CHOICES: dict[str, str] = {
    "all": "Every unread client message",
    "assigned": "Only conversations assigned to me",
    "none": "No chat emails",
}
CHAT_EMAIL_HELP = ("Emails about client chat messages nobody has read for a few minutes. With “Only "
                   "conversations assigned to me”, owners and admins also get those assigned to nobody.")


def _me(db: Session, actor: Actor) -> StaffUser:
    staff = require_own_notifications(actor)
    user = db.get(StaffUser, staff.user_id)
    if user is None or user.workspace_id != staff.workspace_id:
        raise NotFound()
    return user


def chat_email_setting(db: Session, actor: Actor) -> str:
    """The signed-in staff member's own choice: all | assigned | none."""
    value = _me(db, actor).chat_email
    return value if value in CHAT_EMAIL_CHOICES else "all"


def set_chat_email(db: Session, actor: Actor, value: object) -> str:
    """Change the signed-in staff member's own choice; returns it."""
    user = _me(db, actor)
    choice = str(value or "").strip()[:20]
    if choice not in CHAT_EMAIL_CHOICES:
        raise Invalid("Choose which chat messages to get by email: every unread message, only your "
                      "conversations, or none.", "chat_email")
    if user.chat_email != choice:
        user.chat_email = choice
        db.add(user)
    return choice
