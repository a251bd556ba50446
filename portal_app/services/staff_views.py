"""Read models for staff pages: the contact record's status and history, the dev outbox."""

from __future__ import annotations

import re


import sqlalchemy as sa
from sqlmodel import Session, select

from ..access import Actor, require_manage_contacts, require_read_dev_outbox
from ..models import ClientAccount, DevMail, Invitation, utcnow
from ..settings import get_settings
from . import audit
from .contacts import contact_view, get_contact, portal_status

ACTION_TEXT = {
    "contact.created": "Contact created",
    "contact.updated": "Contact updated by staff",
    "invite.sent": "Portal invitation sent",
    "invite.revoked": "Invitation revoked",
    "invite.accepted": "Invitation accepted; portal account active",
    "invite.new_requested": "Client asked for a new invitation",
    "client.signed_in": "Client signed in",
    "client.access_disabled": "Portal access disabled",
    "client.access_enabled": "Portal access enabled",
    "profile.updated": "Client updated their profile",
    "profile.email_change_requested": "Client asked to change their email",
    "profile.email_changed": "Email change confirmed",
}


def _describe(detail: dict) -> str:
    parts = []
    for key, value in detail.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{key}: {value[0] or '—'} → {value[1] or '—'}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def contact_record(db: Session, actor: Actor, public_id: str) -> dict:
    from .files import files_for_contact

    staff = require_manage_contacts(actor)
    contact = get_contact(db, staff, public_id)
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    now = utcnow()
    invite = db.exec(select(Invitation).where(Invitation.contact_id == contact.id)
                     .order_by(sa.desc(Invitation.id)).limit(1)).first()
    pending = bool(invite and invite.used_at is None and invite.revoked_at is None and invite.expires_at > now)
    events = audit.events_for(db, staff.workspace_id, "contact", contact.public_id, limit=50)
    return {
        "contact": contact_view(contact),
        "portal_status": portal_status(account, pending),
        "invite_pending": pending,
        "invite_expires": invite.expires_at.strftime("%Y-%m-%d %H:%M UTC") if pending else "",
        "last_login": account.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if account and account.last_login_at else "",
        "files": files_for_contact(db, staff, contact),
        "history": [
            {"at": e.at.strftime("%Y-%m-%d %H:%M UTC"), "actor": e.actor,
             "action": ACTION_TEXT.get(e.action, e.action), "detail": _describe(e.detail)}
            for e in events
        ],
    }


def dev_outbox(db: Session, actor: Actor, limit: int = 50) -> list[dict]:
    staff = require_read_dev_outbox(actor, get_settings().demo)
    rows = db.exec(select(DevMail).where(DevMail.workspace_id == staff.workspace_id)
                   .order_by(sa.desc(DevMail.id)).limit(limit)).all()
    return [{"id": str(r.id), "to": r.to_addr, "subject": r.subject, "text": r.text_body,
             "link": _first_link(r.text_body),
             "at": r.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")} for r in rows]


def _first_link(text: str) -> str:
    match = re.search(r"https?://\S+", text)
    return match.group(0) if match else ""


