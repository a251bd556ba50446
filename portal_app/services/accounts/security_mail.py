"""Security emails, handlers of the account events (services/bus.py): a sign-in from a device
the account had not used before, and a password changed. Branded like every email; sent to
the account's own address only and kept off the Communications timeline (for_client=False):
they are between the person and the portal, not part of their history with the business.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from portal_app.models import Contact, StaffUser, Workspace
from portal_app.services import emails
from portal_app.services import events as ev


def _recipient(db: Session, workspace_id: int, kind: str, public_id: str) -> tuple[str, str] | None:
    """(address, name) of the account, or None when it is gone (nothing to send)."""
    if kind == "staff":
        user = db.exec(select(StaffUser).where(StaffUser.workspace_id == workspace_id,
                                               StaffUser.public_id == public_id)).first()
        return (user.email, user.name) if user and not user.disabled else None
    contact = db.exec(select(Contact).where(Contact.workspace_id == workspace_id,
                                            Contact.public_id == public_id)).first()
    return (contact.email, contact.display_name) if contact and contact.email else None


def _when(iso: str) -> str:
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return "just now"
    return f"{at.day} {at:%B %Y at %H:%M} UTC"


def _security_url(ws: Workspace, kind: str) -> str:
    return f"{ws.base_url}/staff/security" if kind == "staff" else f"{ws.base_url}/security"


def on_new_device(db: Session, event: ev.NewDeviceSignIn) -> None:
    who = _recipient(db, event.workspace_id, event.account_kind, event.account)
    if who is None:
        return
    ws = db.get_one(Workspace, event.workspace_id)
    to, name = who
    place = "client portal" if event.account_kind == "client" else "staff account"
    emails.queue_branded_email(
        db, ws, to=to, subject=f"New sign-in to your {ws.name} account",
        heading=f"Hello {name},",
        paragraphs=[f"Your {ws.name} {place} was just signed in to from a device it had not been used on before.",
                    f"Device: {event.device}. IP address: {event.ip or 'unknown'}. When: {_when(event.at)}.",
                    "If this was you, there is nothing to do. If not, open your Security page, sign that "
                    "session out and change your password."],
        button_label="Review your sessions", button_url=_security_url(ws, event.account_kind),
        footer=f"A security notice from the {ws.name} client portal, sent to {to}.", for_client=False)


def on_password_changed(db: Session, event: ev.PasswordChanged) -> None:
    who = _recipient(db, event.workspace_id, event.account_kind, event.account)
    if who is None:
        return
    ws = db.get_one(Workspace, event.workspace_id)
    to, name = who
    how = ("with a password reset link" if event.how == "reset"
           else "from the Security page, after the current password was entered")
    emails.queue_branded_email(
        db, ws, to=to, subject=f"Your {ws.name} password was changed",
        heading=f"Hello {name},",
        paragraphs=[f"The password of your {ws.name} account was changed {how}, on {_when(event.at)}. "
                    "Every other session was signed out.",
                    f"If you did not do this, reset your password now and contact {ws.name}."],
        button_label="Review your sessions", button_url=_security_url(ws, event.account_kind),
        footer=f"A security notice from the {ws.name} client portal, sent to {to}.", for_client=False)
