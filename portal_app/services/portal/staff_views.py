"""Read models for staff pages: the contact record's status and history, the dev outbox (and
its mails' attachments)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, may_see_links_in_dev_mail, require_manage_contacts, require_read_dev_outbox
from portal_app.db import AnySelect, prebuilt, run
from portal_app.errors import NotFound
from portal_app.models import CONTACT_FIELDS, ClientAccount, Contact, DevMail, DevMailAttachment, Invitation, utcnow
from portal_app.services import audit
from portal_app.services.accounts.contacts import ContactView, contact_view, portal_status
from portal_app.services.files.files import ContactFiles
from portal_app.services.files.filetypes import human_size
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


class DevMailAttachmentView(TypedDict):
    """A file on a dev outbox mail: its name, type, size ("1.2 KB") and download link."""
    name: str
    type: str
    size: str
    url: str


class DevMailView(TypedDict):
    """One mail of the dev outbox; `redacted` is "1" when its links were redacted. `sender`:
    the From as sent ("Alpha Studio <portal@…>"); `reply_to`: its Reply-To, or ""."""
    id: str
    sender: str
    reply_to: str
    to: str
    subject: str
    text: str
    link: str
    redacted: str
    at: str
    attachments: list[DevMailAttachmentView]


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
    files = _attachments_of(db, staff.workspace_id, [r.id for r in rows])
    out: list[DevMailView] = []
    for r in rows:
        own = may_see_links_in_dev_mail(staff, r.to_addr)
        text = r.text_body if own else redact_links(r.text_body)
        out.append({"id": str(r.id), "sender": _sender(r.from_name, r.from_addr), "reply_to": r.reply_to,
                    "to": r.to_addr, "subject": r.subject, "text": text,
                    "link": _first_link(text) if own or text == r.text_body else "",
                    "redacted": "" if text == r.text_body else "1",
                    "at": r.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "attachments": files.get(r.id, [])})
    return out


def _sender(name: str, address: str) -> str:
    """The From as a person reads it: "Name <address>", or whichever part there is."""
    if name and address:
        return f"{name} <{address}>"
    return name or address


def _attachments_of(db: Session, workspace_id: int, mail_ids: list[int]) -> dict[int, list[DevMailAttachmentView]]:
    """The listed mails' files by mail id, in the order the mail carries them: one statement,
    which never reads their bytes."""
    if not mail_ids:
        return {}
    a = DevMailAttachment
    found = db.execute(sa.select(col(a.dev_mail_id), col(a.public_id), col(a.filename), col(a.content_type), col(a.size))
                       .where(col(a.workspace_id) == workspace_id, col(a.dev_mail_id).in_(mail_ids))
                       .order_by(col(a.dev_mail_id), col(a.position))).all()
    out: dict[int, list[DevMailAttachmentView]] = {}
    for mail_id, public_id, filename, content_type, size in found:
        out.setdefault(mail_id, []).append({"name": filename, "type": content_type, "size": human_size(size),
                                            "url": f"/api/dev-outbox/attachments/{public_id}"})
    return out


@dataclass(frozen=True)
class DevMailFile:
    """A dev outbox attachment to download (GET /api/dev-outbox/attachments/{public_id})."""
    filename: str
    content_type: str
    data: bytes


def dev_mail_attachment(db: Session, actor: Actor, public_id: str) -> DevMailFile:
    """One file of a dev outbox mail, for the workspace's owner under the outbox's own rule;
    NotFound for another workspace's or an unknown id. Links in a text file (a calendar
    invitation's description) of mail to anyone else are redacted as the mail's text is."""
    staff = require_read_dev_outbox(actor, get_settings().mail == "outbox")
    found = db.exec(select(DevMailAttachment, DevMail.to_addr)
                    .join(DevMail, col(DevMail.id) == DevMailAttachment.dev_mail_id)
                    .where(DevMailAttachment.workspace_id == staff.workspace_id,
                           DevMailAttachment.public_id == str(public_id)[:40])).first()
    if found is None:
        raise NotFound("This attachment does not exist.")
    att, to_addr = found
    data = att.data
    if att.content_type.startswith("text/") and not may_see_links_in_dev_mail(staff, to_addr):
        text = data.decode("utf-8", errors="replace")
        if att.content_type == "text/calendar":
            text = re.sub(r"\r?\n[ \t]", "", text)  # unfold (RFC 5545 §3.1): a URL is whole again
        data = redact_links(text).encode("utf-8")
    return DevMailFile(filename=att.filename, content_type=att.content_type, data=data)


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
