"""Read models for staff pages: the contact record's status and history, the dev outbox."""

from __future__ import annotations

import re
from typing import TypedDict
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, may_see_links_in_dev_mail, require_manage_contacts, require_read_dev_outbox
from portal_app.db import AnySelect, prebuilt, run
from portal_app.errors import NotFound
from portal_app.models import CONTACT_FIELDS, ClientAccount, Contact, DevMail, Invitation, utcnow
from portal_app.services import audit
from portal_app.services.accounts.contacts import ContactView, contact_view, portal_status
from portal_app.services.files.files import ContactFiles
from portal_app.settings import get_settings

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


class HistoryEntry(TypedDict):
    at: str
    actor: str
    action: str
    detail: str


class ContactRecord(TypedDict):
    contact: ContactView
    portal_status: str
    invite_pending: bool
    invite_expires: str
    last_login: str
    files: ContactFiles
    history: list[HistoryEntry]


class DevMailView(TypedDict):
    """One mail of the dev outbox; `redacted` is "1" when its links were redacted."""
    id: str
    to: str
    subject: str
    text: str
    link: str
    redacted: str
    at: str


def _describe(detail: dict) -> str:
    parts = []
    for key, value in detail.items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{key}: {value[0] or '—'} → {value[1] or '—'}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def contact_record(db: Session, actor: Actor, public_id: str) -> ContactRecord:
    """One contact of the workspace with their portal account, latest invitation, history and
    files, in three statements built once: the contact with the account and the invitation,
    the history (audit.events_for), the files (files.files_for_contact)."""
    from portal_app.services.files.files import files_for_contact

    staff = require_manage_contacts(actor)
    row = run(db, _record(), ws=staff.workspace_id, public_id=str(public_id)[:40]).first()
    if row is None:
        raise NotFound("This contact does not exist.")
    now = utcnow()
    invited = row.invite_expires_at is not None
    pending = bool(invited and row.invite_used_at is None and row.invite_revoked_at is None
                   and row.invite_expires_at > now)
    events = audit.events_for(db, staff.workspace_id, "contact", row.public_id, limit=50)
    return {
        "contact": contact_view(row),
        "portal_status": portal_status(row if row.account_id is not None else None, pending),
        "invite_pending": pending,
        "invite_expires": row.invite_expires_at.strftime("%Y-%m-%d %H:%M UTC") if pending else "",
        "last_login": row.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_login_at else "",
        "files": files_for_contact(db, staff, row.id),
        "history": [
            {"at": e.at.strftime("%Y-%m-%d %H:%M UTC"), "actor": e.actor,
             "action": ACTION_TEXT.get(e.action, e.action), "detail": _describe(e.detail)}
            for e in events
        ],
    }


@prebuilt
def _record() -> AnySelect:
    """The contact (by public id, in the workspace) with their account and latest invitation."""
    latest = (sa.select(sa.func.max(Invitation.id)).where(col(Invitation.contact_id) == Contact.id)
              .correlate(Contact).scalar_subquery())
    return (sa.select(col(Contact.id), col(Contact.public_id), col(Contact.notes),
                      *(col(getattr(Contact, name)) for name in CONTACT_FIELDS),
                      col(ClientAccount.id).label("account_id"), col(ClientAccount.status),
                      col(ClientAccount.last_login_at),
                      col(Invitation.expires_at).label("invite_expires_at"), col(Invitation.used_at).label("invite_used_at"),
                      col(Invitation.revoked_at).label("invite_revoked_at"))
            .select_from(Contact)
            .outerjoin(ClientAccount, col(ClientAccount.contact_id) == Contact.id)
            .outerjoin(Invitation, col(Invitation.id) == latest)
            .where(col(Contact.workspace_id) == sa.bindparam("ws"), col(Contact.public_id) == sa.bindparam("public_id")))


def dev_outbox(db: Session, actor: Actor, limit: int = 50) -> list[DevMailView]:
    """The mail 'sent' while PORTAL_MAIL=outbox, newest first, for the workspace's owner.
    One-time links are for the person each mail was sent to: in mail to anyone else they
    show redacted (the HTML body, which holds the same links, is never sent to the page)."""
    staff = require_read_dev_outbox(actor, get_settings().mail == "outbox")
    rows = db.exec(select(DevMail).where(DevMail.workspace_id == staff.workspace_id)
                   .order_by(sa.desc(col(DevMail.id))).limit(limit)).all()
    out: list[DevMailView] = []
    for r in rows:
        own = may_see_links_in_dev_mail(staff, r.to_addr)
        text = r.text_body if own else redact_links(r.text_body)
        out.append({"id": str(r.id), "to": r.to_addr, "subject": r.subject, "text": text,
                    "link": _first_link(text) if own or text == r.text_body else "",
                    "redacted": "" if text == r.text_body else "1",
                    "at": r.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")})
    return out


REDACTED = "\u2022\u2022\u2022\u2022"  # ••••
_URL = re.compile(r"https?://[^\s<>\"']+")


def redact_links(text: str) -> str:
    """Every URL's query values and fragment become •••• (our one-time links carry their
    token there: /reset-password?token=…, /invite?token=…, /staff/join?token=…,
    /confirm-email?token=…); the rest of the URL stays readable."""
    def redact(match: re.Match) -> str:
        url = match.group(0)
        parts = urlsplit(url)
        if not parts.query and not parts.fragment:
            return url
        query = "&".join(f"{pair.split('=', 1)[0]}={REDACTED}" if pair else pair
                         for pair in parts.query.split("&")) if parts.query else ""
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query,
                           REDACTED if parts.fragment else ""))

    return _URL.sub(redact, text or "")


def _first_link(text: str) -> str:
    match = _URL.search(text)
    return match.group(0) if match else ""
