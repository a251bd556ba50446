"""The client's history (Communications, and the Timeline of the staff contact record).

Written in the transaction of what it records, never later:

- the typed events (services/events.py): `raise_event` hands each event to `record_event` (a
  recorder registered below) beside its outbox row, so an entry commits or rolls back with the
  change. Invoice, document, file, portal-access and chat-message events become one entry on
  the contact they concern; an event with no single contact (a file shared with all clients) is
  not recorded: one row per client of the workspace in the sharing transaction would be
  unbounded, and each client sees the item in Files anyway.
- every email the portal queues to a contact's address (services/emails.queue_email calls
  `record_email`): the subject, status queued, and the plain-text body with one-time links
  redacted (the dev outbox's rule, staff_views.redact_links). The worker's email handler moves
  the status to sent or failed (`email_status`, matched by ref "outbox:<id>").

Titles are in the client's voice ("You signed Brand refresh proposal", "Message from you");
staff read them with the contact's name instead (`_staff_title`). `client_visible` False marks
what only staff see (first views, downloads, disputes): a client never reads those.

Reading: `client_timeline` (the signed-in client's own, visible entries, while the business
has Communications enabled), `staff_timeline` (any staff member, one contact of their
workspace, internal entries marked); newest first, keyset pages on (at, id), filter by kind.
`email_body` opens one email's text for whoever may see the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, Client, require_client, require_manage_contacts, require_portal_section
from portal_app.errors import NotFound
from portal_app.models import (
    Contact,
    ConversationMessage,
    Document,
    DocumentSigner,
    FileItem,
    Invoice,
    StaffUser,
    TimelineEntry,
    utcnow,
)
from portal_app.services import events as ev

PAGE = 20
DETAIL_CHARS = 200  # a chat message's detail: its first 200 characters
KIND_LABELS = {"message": "Messages", "email": "Emails", "invoice": "Invoices", "document": "Documents",
               "file": "Files", "appointment": "Appointments", "account": "Account"}
EMAIL_STATUSES = ("queued", "sent", "failed")
_MAX = {"title": 300, "detail": 500, "client_link": 300, "staff_link": 300, "ref": 100}


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _add(db: Session, workspace_id: int, contact_id: int, kind: str, title: str, *, detail: str = "",
         client_link: str = "", staff_link: str = "", client_visible: bool = True, ref: str = "",
         status: str = "", body: str | None = None) -> TimelineEntry:
    entry = TimelineEntry(workspace_id=workspace_id, contact_id=contact_id, at=utcnow(), kind=kind,
                          title=_cut(title, _MAX["title"]), detail=_cut(detail, _MAX["detail"]),
                          client_link=client_link[:_MAX["client_link"]], staff_link=staff_link[:_MAX["staff_link"]],
                          client_visible=client_visible, ref=ref[:_MAX["ref"]], status=status, body=body)
    db.add(entry)
    return entry


# --- recording events ------------------------------------------------------------------------

def _invoice(db: Session, ws_id: int, public_id: str) -> Invoice | None:
    return db.exec(select(Invoice).where(Invoice.workspace_id == ws_id, Invoice.public_id == public_id)).first()


def _document(db: Session, ws_id: int, public_id: str) -> Document | None:
    return db.exec(select(Document).where(Document.workspace_id == ws_id, Document.public_id == public_id)).first()


def _contact_id(db: Session, ws_id: int, public_id: str | None) -> int | None:
    if not public_id:
        return None
    return db.exec(select(Contact.id).where(Contact.workspace_id == ws_id, Contact.public_id == public_id)).first()


def _money(minor: int, currency: str) -> str:
    from portal_app.services.billing.money import format_amount

    return format_amount(minor, currency)


def _on_invoice(db: Session, e: Any) -> None:
    inv = _invoice(db, e.workspace_id, e.invoice)
    if inv is None:
        return
    number = inv.number or "draft"
    links = {"client_link": f"/invoices/{inv.public_id}", "staff_link": f"/staff/invoices/{inv.public_id}"}
    detail, visible = "", True
    if isinstance(e, ev.InvoiceSent):
        title = f"Invoice {number} sent"
        detail = f"Total {_money(inv.total_minor, inv.currency)}"
    elif isinstance(e, ev.InvoiceViewed):
        title, visible = f"You opened invoice {number}", False
    elif isinstance(e, ev.InvoicePaid):
        title, detail = f"Invoice {number} paid", f"Paid {_money(e.paid, inv.currency)}"
    elif isinstance(e, ev.InvoicePaymentReceived):
        title = f"Part payment received for invoice {number}"
        detail = f"Paid {_money(e.paid, inv.currency)}, {_money(e.balance, inv.currency)} left to pay"
    elif isinstance(e, ev.InvoiceVoided):
        title = f"Invoice {number} voided"
    elif isinstance(e, ev.InvoiceRefunded):
        title = f"Refund on invoice {number}"
        detail = f"Refunded {_money(e.amount, inv.currency)}" if e.amount else ""
    elif isinstance(e, ev.InvoiceDisputed):
        title, visible = f"Payment on invoice {number} disputed", False
        detail = f"Disputed {_money(e.amount, inv.currency)}"
    elif isinstance(e, ev.InvoiceOverdue):
        title = f"Invoice {number} is overdue"
        detail = f"It was due on {e.due_date}"
    else:
        return
    _add(db, e.workspace_id, inv.contact_id, "invoice", title, detail=detail, client_visible=visible,
         ref=f"event:{e.kind}", **links)


def _on_document(db: Session, e: Any) -> None:
    doc = _document(db, e.workspace_id, e.document)
    if doc is None:
        return
    signer: DocumentSigner | None = None
    if isinstance(e, (ev.DocumentViewed, ev.DocumentSigned, ev.DocumentDeclined)):
        signer = db.exec(select(DocumentSigner).where(DocumentSigner.document_id == doc.id,
                                                      DocumentSigner.public_id == e.signer)).first()
    theirs = signer is not None and signer.role == "client" and signer.contact_id == doc.contact_id
    who = "You" if theirs else (signer.name if signer is not None else "Someone")
    visible = True
    if isinstance(e, ev.DocumentSent):
        title = f"{doc.title} sent to you for signature"
    elif isinstance(e, ev.DocumentViewed):
        title, visible = f"{who} opened {doc.title}", False
    elif isinstance(e, ev.DocumentSigned):
        title = f"{who} signed {doc.title}"
    elif isinstance(e, ev.DocumentDeclined):
        title = f"{who} declined {doc.title}"
    elif isinstance(e, ev.DocumentCompleted):
        title = f"{doc.title} signed by everyone"
    elif isinstance(e, ev.DocumentVoided):
        title = f"{doc.title} withdrawn"
    elif isinstance(e, ev.DocumentExpired):
        title = f"{doc.title} expired"
    else:
        return
    _add(db, e.workspace_id, doc.contact_id, "document", title, client_visible=visible, ref=f"event:{e.kind}",
         client_link=f"/documents/{doc.public_id}", staff_link=f"/staff/documents/{doc.public_id}")


def _on_file(db: Session, e: Any) -> None:
    contact_id = _contact_id(db, e.workspace_id, getattr(e, "contact", None))
    if contact_id is None:  # shared with all clients: not recorded (see the module's docstring)
        return
    item = db.exec(select(FileItem).where(FileItem.workspace_id == e.workspace_id,
                                          FileItem.public_id == e.item)).first()
    if item is None:
        return
    # the client opens a folder shared with them, else their Files page (a file's folder may not be theirs)
    client_link = f"/files?folder={item.public_id}" if item.kind == "folder" else "/files"
    folder = item.public_id if item.kind == "folder" else (_parent_public_id(db, item) or "")
    staff_link = f"/staff/files?folder={folder}" if folder else "/staff/files"
    visible = True
    if isinstance(e, ev.FileShared):
        title = f"{item.name} shared with you"
    elif isinstance(e, ev.FileDownloaded):
        title, visible = f"You downloaded {item.name}", False
    elif isinstance(e, ev.FileUploadedByClient):
        title = f"You uploaded {item.name}"
    else:
        return
    _add(db, e.workspace_id, contact_id, "file", title, client_visible=visible, ref=f"event:{e.kind}",
         client_link=client_link, staff_link=staff_link)


def _parent_public_id(db: Session, item: FileItem) -> str | None:
    if item.parent_id is None:
        return None
    return db.exec(select(FileItem.public_id).where(FileItem.id == item.parent_id)).first()


def _on_message(db: Session, e: Any) -> None:
    contact_id = _contact_id(db, e.workspace_id, e.contact)
    msg = db.exec(select(ConversationMessage).where(ConversationMessage.workspace_id == e.workspace_id,
                                                    ConversationMessage.public_id == e.message)).first()
    if contact_id is None or msg is None or msg.internal:  # a staff note is never recorded
        return
    if msg.author == "client":
        title = "Message from you"
    else:
        name = db.exec(select(StaffUser.name).where(StaffUser.id == msg.staff_user_id)).first() or "the team"
        title = f"Message from {name}"
    detail = _cut(msg.body, DETAIL_CHARS) if msg.body.strip() else ""
    if msg.attachment_name:
        detail = (detail + " " if detail else "") + f"(attachment: {msg.attachment_name})"
    _add(db, e.workspace_id, contact_id, "message", title, detail=detail, ref=msg.public_id,
         staff_link="/staff/inbox?conversation=" + e.conversation)


def _on_account(db: Session, e: Any) -> None:
    contact_id = _contact_id(db, e.workspace_id, e.contact)
    if contact_id is not None:
        _add(db, e.workspace_id, contact_id, "account", "You joined the client portal", ref=f"event:{e.kind}",
             client_link="/profile", staff_link="")


def _on_appointment(db: Session, e: Any) -> None:
    from portal_app.models import Appointment
    from portal_app.services.appointments.times import when_text

    a = db.exec(select(Appointment).where(Appointment.workspace_id == e.workspace_id,
                                          Appointment.public_id == e.appointment)).first()
    if a is None:
        return
    by_you = e.by == "client"
    if isinstance(e, ev.AppointmentBooked):
        title = f"You booked {a.title}" if by_you else f"Appointment scheduled: {a.title}"
    elif isinstance(e, ev.AppointmentChanged):
        if e.rescheduled:
            title = f"You moved {a.title}" if by_you else f"Appointment moved: {a.title}"
        else:
            title = f"Appointment updated: {a.title}"
    elif isinstance(e, ev.AppointmentCancelled):
        title = f"You cancelled {a.title}" if by_you else f"Appointment cancelled: {a.title}"
    else:
        return
    _add(db, e.workspace_id, a.contact_id, "appointment", title, detail=when_text(a.starts_at, a.ends_at, a.zone),
         ref=f"event:{e.kind}", client_link="/appointments", staff_link=f"/staff/calendar?appointment={a.public_id}")


_RECORDED: dict[type[ev.Event], Callable[[Session, Any], None]] = {
    **dict.fromkeys((ev.InvoiceSent, ev.InvoiceViewed, ev.InvoicePaid, ev.InvoicePaymentReceived, ev.InvoiceVoided,
                     ev.InvoiceRefunded, ev.InvoiceDisputed, ev.InvoiceOverdue), _on_invoice),
    **dict.fromkeys((ev.DocumentSent, ev.DocumentViewed, ev.DocumentSigned, ev.DocumentDeclined,
                     ev.DocumentCompleted, ev.DocumentVoided, ev.DocumentExpired), _on_document),
    **dict.fromkeys((ev.FileShared, ev.FileDownloaded, ev.FileUploadedByClient), _on_file),
    **dict.fromkeys((ev.MessageReceived, ev.MessageSent), _on_message),
    ev.InviteAccepted: _on_account,
    **dict.fromkeys((ev.AppointmentBooked, ev.AppointmentChanged, ev.AppointmentCancelled), _on_appointment),
}


def record_event(db: Session, event: ev.Event) -> None:
    """The recorder raise_event calls: the event's entry, in the caller's transaction."""
    fn = _RECORDED.get(type(event))
    if fn is not None:
        fn(db, event)


def recorded_kinds() -> list[str]:
    return sorted(cls.kind for cls in _RECORDED)


ev.add_recorder(record_event)


# --- emails ----------------------------------------------------------------------------------

def record_email(db: Session, workspace_id: int, *, to: str, subject: str, text: str, outbox_id: int) -> None:
    """An email queued to `to`: an entry on the workspace's contact with that address (none: no
    entry), status queued, the text with its one-time links redacted."""
    from portal_app.services.portal.staff_views import redact_links

    contact_id = db.exec(select(Contact.id).where(Contact.workspace_id == workspace_id,
                                                  sa.func.lower(Contact.email) == (to or "").strip().lower())).first()
    if contact_id is None:
        return
    _add(db, workspace_id, contact_id, "email", subject or "(no subject)", ref=f"outbox:{outbox_id}",
         status="queued", body=redact_links(text))


def email_status(db: Session, outbox_id: int, status: str) -> int:
    """The worker sent an email (or its attempt failed): its entries' status; how many."""
    if status not in EMAIL_STATUSES:
        raise ValueError(f"unknown email status {status!r}")
    result = db.connection().execute(sa.update(TimelineEntry).where(
        col(TimelineEntry.ref) == f"outbox:{outbox_id}", col(TimelineEntry.kind) == "email").values(status=status))
    return result.rowcount


# --- reading ---------------------------------------------------------------------------------

class TimelineItem(TypedDict):
    id: str          # "tl_<id>"
    kind: str
    icon: str
    title: str
    detail: str
    at: str          # "07 Dec 2026, 17:20 UTC"
    at_iso: str
    link: str        # where the viewer opens it ("" for none)
    status: str      # an email's: queued | sent | failed
    email: bool      # whether it has a body to open
    internal: bool   # staff only


ICONS = {"message": "message-circle", "email": "mail", "invoice": "receipt", "document": "file-pen-line",
         "file": "folder", "appointment": "calendar", "account": "user"}


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    cursor: tuple[str, int] | None  # (at ISO, id) of the last item when more may follow


def _item(e: TimelineEntry, *, staff: bool, contact_name: str) -> TimelineItem:
    return {"id": f"tl_{e.id}", "kind": e.kind, "icon": ICONS.get(e.kind, "circle"),
            "title": _staff_title(e.title, contact_name) if staff else e.title, "detail": e.detail,
            "at": e.at.strftime("%d %b %Y, %H:%M UTC"), "at_iso": e.at.isoformat(),
            "link": e.staff_link if staff else e.client_link, "status": e.status,
            "email": e.kind == "email" and e.body is not None, "internal": not e.client_visible}


def _staff_title(title: str, name: str) -> str:
    """A title in the client's voice, for staff: "You signed X" → "Alice Client signed X"."""
    if title == "Message from you":
        return f"Message from {name}"
    if title.startswith("You "):
        return f"{name} {title[4:]}"
    return title


def _page(db: Session, where: list, kind: str, cursor: tuple[str, int] | None, limit: int,
          *, staff: bool, contact_name: str) -> TimelinePage:
    stmt = select(TimelineEntry).where(*where)
    if kind:
        stmt = stmt.where(TimelineEntry.kind == kind)
    if cursor is not None:
        at, last_id = datetime.fromisoformat(cursor[0]), int(cursor[1])
        stmt = stmt.where(sa.or_(col(TimelineEntry.at) < at,
                                 sa.and_(col(TimelineEntry.at) == at, col(TimelineEntry.id) < last_id)))
    limit = max(1, min(int(limit), 100))
    rows = db.exec(stmt.order_by(sa.desc(col(TimelineEntry.at)), sa.desc(col(TimelineEntry.id)))
                   .limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_item(r, staff=staff, contact_name=contact_name) for r in rows]
    last = rows[-1] if rows and more else None
    return TimelinePage(items, (last.at.isoformat(), last.id) if last is not None else None)


def _kind(kind: object) -> str:
    kind = str(kind or "")
    return kind if kind in KIND_LABELS else ""


def _client(db: Session, actor: Actor) -> Client:
    from portal_app.services.portal.portal_settings import portal_settings_for

    client = require_client(actor)
    return require_portal_section(client, portal_settings_for(db, client.workspace_id), "communications")


def client_timeline(db: Session, actor: Actor, *, kind: object = "", cursor: tuple[str, int] | None = None,
                    limit: int = PAGE) -> TimelinePage:
    """The signed-in client's own history, what they may see of it, newest first."""
    client = _client(db, actor)
    return _page(db, [TimelineEntry.workspace_id == client.workspace_id, TimelineEntry.contact_id == client.contact_id,
                      col(TimelineEntry.client_visible).is_(True)], _kind(kind), cursor, limit,
                 staff=False, contact_name="")


def _staff_contact(db: Session, actor: Actor, contact_public_id: str) -> tuple[int, Contact]:
    staff = require_manage_contacts(actor)
    contact = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                            Contact.public_id == str(contact_public_id or "")[:40])).first()
    if contact is None:
        raise NotFound("No such contact.")
    return staff.workspace_id, contact


def staff_timeline(db: Session, actor: Actor, contact_public_id: str, *, kind: object = "",
                   cursor: tuple[str, int] | None = None, limit: int = PAGE) -> TimelinePage:
    """One contact's whole history for staff of its workspace (internal entries marked)."""
    ws_id, contact = _staff_contact(db, actor, contact_public_id)
    return _page(db, [TimelineEntry.workspace_id == ws_id, TimelineEntry.contact_id == contact.id], _kind(kind),
                 cursor, limit, staff=True, contact_name=contact.display_name)


def _entry_id(entry_id: object) -> int:
    text = str(entry_id or "")
    try:
        value = int(text.removeprefix("tl_"))
    except ValueError:
        raise NotFound("No such email.") from None
    if not text.startswith("tl_") or not 0 < value < 2**31:
        raise NotFound("No such email.")
    return value


def email_body(db: Session, actor: Actor, entry_id: object, *, contact_public_id: str = "") -> str:
    """The text of one email entry (its one-time links redacted when it was recorded): the client
    whose entry it is, or staff of its workspace (on that contact's record)."""
    where: list[Any] = [TimelineEntry.id == _entry_id(entry_id), TimelineEntry.kind == "email"]
    if contact_public_id:
        ws_id, contact = _staff_contact(db, actor, contact_public_id)
        where += [TimelineEntry.workspace_id == ws_id, TimelineEntry.contact_id == contact.id]
    else:
        client = _client(db, actor)
        where += [TimelineEntry.workspace_id == client.workspace_id, TimelineEntry.contact_id == client.contact_id,
                  col(TimelineEntry.client_visible).is_(True)]
    entry = db.exec(select(TimelineEntry).where(*where)).first()
    if entry is None or entry.body is None:
        raise NotFound("No such email.")
    return entry.body
