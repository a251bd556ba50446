"""The one registry of what can start an automation: a trigger per event kind (services/events.py).

Each trigger says, for its event class: its label, how to find the contact the run is about,
what the run's context holds (the placeholders a template may use, the facts conditions read,
the dates a wait may wait until). `build(db, event)` turns a recorded event into a `Snapshot`
(JSON-safe, stored on the run: the run renders from what was true when it started), or None
when the event concerns no contact of this workspace (a staff signer, a file shared with every
client): no run starts.

Event kinds that make no sense for a client automation are listed in NOT_TRIGGERS with the
reason; tests/unit/test_automations_parts.py holds every kind to one of the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from portal_app.models import (
    ClientAccount,
    Contact,
    Document,
    DocumentSigner,
    FileItem,
    Invoice,
    Workspace,
)
from portal_app.models.automations import ContactTag
from portal_app.services import events as ev
from portal_app.services.billing.money import format_amount

# what each object in a template offers (contact.first_name, document.title, …)
CONTACT_FIELDS = ("first_name", "last_name", "name", "email", "company")
WORKSPACE_FIELDS = ("name",)
DOCUMENT_FIELDS = ("title", "kind", "status", "link")
INVOICE_FIELDS = ("number", "total", "amount_due", "due_date", "issue_date", "currency", "link")
FILE_FIELDS = ("name", "kind", "link")
APPOINTMENT_FIELDS = ("title", "when", "location", "with", "link")


@dataclass
class Snapshot:
    contact_id: int
    summary: str
    vars: dict[str, Any]      # what templates read: {"contact": {...}, "document": {...}, "portal_url": "…"}
    facts: dict[str, Any]     # what conditions read: {"document.kind": "contract", "contact.tag": [...], …}
    dates: dict[str, str]     # what a wait may wait until: {"invoice.due_date": "2026-12-31T00:00:00+00:00"}

    def as_json(self) -> dict[str, Any]:
        return {"vars": self.vars, "facts": self.facts, "dates": self.dates}


@dataclass(frozen=True)
class ConditionField:
    field: str
    label: str
    op_kind: str                        # choice | text | amount | tag
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Trigger:
    kind: str
    label: str
    objects: tuple[str, ...]            # which objects its context has besides contact and workspace
    condition_fields: tuple[ConditionField, ...]
    date_fields: tuple[tuple[str, str], ...] = ()   # (field, label) a wait may wait until
    has_days: bool = False
    builder: Callable[[Session, Any], Snapshot | None] | None = None

    def schema(self) -> dict[str, tuple[str, ...]]:
        """Placeholder roots → their fields (an empty tuple: a plain value)."""
        out: dict[str, tuple[str, ...]] = {"contact": CONTACT_FIELDS, "workspace": WORKSPACE_FIELDS,
                                           "portal_url": ()}
        for obj in self.objects:
            out[obj] = {"document": DOCUMENT_FIELDS, "invoice": INVOICE_FIELDS, "file": FILE_FIELDS,
                        "appointment": APPOINTMENT_FIELDS}[obj]
        return out

    def placeholders(self) -> list[str]:
        return [f"{root}.{f}" if f else root for root, fs in self.schema().items() for f in (fs or ("",))]


DOC_KIND = ConditionField("document.kind", "Document kind", "choice",
                          (("contract", "Contract"), ("proposal", "Proposal"), ("estimate", "Estimate")))
DOC_TITLE = ConditionField("document.title", "Document title", "text")
INV_AMOUNT = ConditionField("invoice.amount", "Invoice total", "amount")
INV_NUMBER = ConditionField("invoice.number", "Invoice number", "text")
FILE_NAME = ConditionField("file.name", "File name", "text")
CONTACT_TAG = ConditionField("contact.tag", "Contact tag", "tag")
CONTACT_COMPANY = ConditionField("contact.company", "Contact company", "text")
COMMON = (CONTACT_TAG, CONTACT_COMPANY)


# --- building a run's context ------------------------------------------------------------------

def _contact_part(db: Session, ws: Workspace, contact: Contact) -> tuple[dict[str, Any], dict[str, Any]]:
    tags = sorted(t for t in db.exec(select(ContactTag.tag).where(ContactTag.contact_id == contact.id)).all())
    vars_ = {"contact": {"first_name": contact.first_name, "last_name": contact.last_name,
                         "name": contact.display_name, "email": contact.email, "company": contact.company},
             "workspace": {"name": ws.name}, "portal_url": ws.base_url + "/"}
    facts = {"contact.tag": tags, "contact.company": contact.company, "contact.email": contact.email}
    return vars_, facts


def _iso_midnight(d: date) -> str:
    return datetime(d.year, d.month, d.day).isoformat() + "+00:00"


def _contact(db: Session, workspace_id: int, *, id: int | None = None, public_id: str | None = None) -> Contact | None:
    q = select(Contact).where(Contact.workspace_id == workspace_id)
    q = q.where(Contact.id == id) if id is not None else q.where(Contact.public_id == public_id)
    return db.exec(q).first()


def _document_snapshot(db: Session, event: Any, verb: str, *, client_signer_only: bool = False) -> Snapshot | None:
    doc = db.exec(select(Document).where(Document.workspace_id == event.workspace_id,
                                         Document.public_id == event.document)).first()
    if doc is None:
        return None
    contact_id: int | None = doc.contact_id
    if client_signer_only:
        signer = db.exec(select(DocumentSigner).where(DocumentSigner.document_id == doc.id,
                                                      DocumentSigner.public_id == event.signer)).first()
        if signer is None or signer.role != "client" or signer.contact_id is None:
            return None
        contact_id = signer.contact_id
    contact = _contact(db, doc.workspace_id, id=contact_id)
    if contact is None:
        return None
    ws = db.get_one(Workspace, doc.workspace_id)
    vars_, facts = _contact_part(db, ws, contact)
    vars_["document"] = {"title": doc.title, "kind": doc.kind, "status": doc.status,
                         "link": f"{ws.base_url}/documents/{doc.public_id}"}
    facts.update({"document.kind": doc.kind, "document.title": doc.title})
    dates = {"document.expires_at": doc.expires_at.isoformat()} if doc.expires_at else {}
    summary = f'{doc.kind.capitalize()} "{doc.title}" {verb}'
    return Snapshot(contact.id, summary[:300], vars_, facts, dates)


def _invoice_snapshot(db: Session, event: Any, verb: str) -> Snapshot | None:
    inv = db.exec(select(Invoice).where(Invoice.workspace_id == event.workspace_id,
                                        Invoice.public_id == event.invoice)).first()
    if inv is None:
        return None
    contact = _contact(db, inv.workspace_id, id=inv.contact_id)
    if contact is None:
        return None
    ws = db.get_one(Workspace, inv.workspace_id)
    vars_, facts = _contact_part(db, ws, contact)
    vars_["invoice"] = {"number": inv.number, "total": format_amount(inv.total_minor, inv.currency),
                        "amount_due": format_amount(inv.balance_minor, inv.currency),
                        "due_date": inv.due_date.strftime("%d %b %Y"),
                        "issue_date": inv.issue_date.strftime("%d %b %Y"), "currency": inv.currency,
                        "link": f"{ws.base_url}/invoices/{inv.public_id}"}
    facts.update({"invoice.amount": inv.total_minor, "invoice.currency": inv.currency, "invoice.number": inv.number})
    dates = {"invoice.due_date": _iso_midnight(inv.due_date), "invoice.issue_date": _iso_midnight(inv.issue_date)}
    return Snapshot(contact.id, f"Invoice {inv.number} {verb}"[:300], vars_, facts, dates)


def _file_snapshot(db: Session, event: Any, verb: str) -> Snapshot | None:
    if getattr(event, "contact", None) is None:  # shared with every client: no one contact
        return None
    item = db.exec(select(FileItem).where(FileItem.workspace_id == event.workspace_id,
                                          FileItem.public_id == event.item)).first()
    contact = _contact(db, event.workspace_id, public_id=event.contact)
    if item is None or contact is None:
        return None
    ws = db.get_one(Workspace, item.workspace_id)
    vars_, facts = _contact_part(db, ws, contact)
    vars_["file"] = {"name": item.name, "kind": item.kind, "link": f"{ws.base_url}/files"}
    facts["file.name"] = item.name
    noun = "Folder" if item.kind == "folder" else "File"
    return Snapshot(contact.id, f'{noun} "{item.name}" {verb}'[:300], vars_, facts, {})


def _invite_snapshot(db: Session, event: Any) -> Snapshot | None:
    contact = _contact(db, event.workspace_id, public_id=event.contact)
    if contact is None:
        return None
    account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).first()
    ws = db.get_one(Workspace, contact.workspace_id)
    vars_, facts = _contact_part(db, ws, contact)
    dates = {"contact.activated_at": account.activated_at.isoformat()} if account and account.activated_at else {}
    return Snapshot(contact.id, f"{contact.display_name} accepted the portal invitation"[:300], vars_, facts, dates)


def _message_snapshot(db: Session, event: Any) -> Snapshot | None:
    contact = _contact(db, event.workspace_id, public_id=event.contact)
    if contact is None:
        return None
    ws = db.get_one(Workspace, contact.workspace_id)
    vars_, facts = _contact_part(db, ws, contact)
    return Snapshot(contact.id, f"{contact.display_name} sent a chat message"[:300], vars_, facts, {})


def _appointment_snapshot(db: Session, event: Any) -> Snapshot | None:
    from portal_app.models import Appointment, StaffUser
    from portal_app.services.appointments.times import when_text

    appt = db.exec(select(Appointment).where(Appointment.workspace_id == event.workspace_id,
                                             Appointment.public_id == event.appointment)).first()
    contact = _contact(db, event.workspace_id, public_id=event.contact)
    if appt is None or contact is None:
        return None
    ws = db.get_one(Workspace, contact.workspace_id)
    member = db.get(StaffUser, appt.staff_id)
    vars_, facts = _contact_part(db, ws, contact)
    vars_["appointment"] = {"title": appt.title, "when": when_text(appt.starts_at, appt.ends_at, appt.zone),
                            "location": appt.location, "with": member.name if member else "",
                            "link": f"{ws.base_url}/appointments"}
    facts["appointment.booked_by"] = event.by
    dates = {"appointment.starts_at": appt.starts_at.isoformat()}
    return Snapshot(contact.id, f'Appointment "{appt.title}" booked'[:300], vars_, facts, dates)


def _doc(verb: str, **kw: Any) -> Callable[[Session, Any], Snapshot | None]:
    return lambda db, e: _document_snapshot(db, e, verb, **kw)


def _inv(verb: str) -> Callable[[Session, Any], Snapshot | None]:
    return lambda db, e: _invoice_snapshot(db, e, verb)


def _file(verb: str) -> Callable[[Session, Any], Snapshot | None]:
    return lambda db, e: _file_snapshot(db, e, verb)


_DOC_DATES = (("document.expires_at", "Document expiry date"),)
_INV_DATES = (("invoice.due_date", "Invoice due date"), ("invoice.issue_date", "Invoice issue date"))
_DOC_CONDS = (DOC_KIND, DOC_TITLE, *COMMON)
_INV_CONDS = (INV_AMOUNT, INV_NUMBER, *COMMON)

TRIGGERS: dict[type[ev.Event], Trigger] = {
    ev.DocumentSigned: Trigger("document.signed", "Document signed by the client", ("document",), _DOC_CONDS,
                               _DOC_DATES, builder=_doc("signed by the client", client_signer_only=True)),
    ev.DocumentCompleted: Trigger("document.completed", "Document completed (everyone signed)", ("document",),
                                  _DOC_CONDS, _DOC_DATES, builder=_doc("completed")),
    ev.DocumentDeclined: Trigger("document.declined", "Document declined", ("document",), _DOC_CONDS,
                                 _DOC_DATES, builder=_doc("declined")),
    ev.DocumentViewed: Trigger("document.viewed", "Document viewed by the client", ("document",), _DOC_CONDS,
                               _DOC_DATES, builder=_doc("viewed by the client", client_signer_only=True)),
    ev.DocumentExpired: Trigger("document.expired", "Document expired unsigned", ("document",), _DOC_CONDS,
                                builder=_doc("expired")),
    ev.InvoiceSent: Trigger("invoice.sent", "Invoice sent", ("invoice",), _INV_CONDS, _INV_DATES,
                            builder=_inv("sent")),
    ev.InvoiceViewed: Trigger("invoice.viewed", "Invoice viewed by the client", ("invoice",), _INV_CONDS,
                              _INV_DATES, builder=_inv("viewed by the client")),
    ev.InvoicePaid: Trigger("invoice.paid", "Invoice paid in full", ("invoice",), _INV_CONDS, _INV_DATES,
                            builder=_inv("paid in full")),
    ev.InvoicePaymentReceived: Trigger("invoice.payment", "Part payment received", ("invoice",), _INV_CONDS,
                                       _INV_DATES, builder=_inv("part-paid")),
    ev.InvoiceOverdue: Trigger("invoice.overdue", "Invoice overdue by N days", ("invoice",), _INV_CONDS,
                               _INV_DATES, has_days=True, builder=_inv("overdue")),
    ev.FileUploadedByClient: Trigger("file.uploaded_by_client", "Client uploaded a file", ("file",),
                                     (FILE_NAME, *COMMON), builder=_file("uploaded by the client")),
    ev.FileShared: Trigger("file.shared", "File or folder shared with the client", ("file",),
                           (FILE_NAME, *COMMON), builder=_file("shared with the client")),
    ev.FileDownloaded: Trigger("file.downloaded", "Client downloaded a file", ("file",), (FILE_NAME, *COMMON),
                               builder=_file("downloaded by the client")),
    ev.InviteAccepted: Trigger("invite.accepted", "Client accepted the portal invitation", (), COMMON,
                               (("contact.activated_at", "Date the invitation was accepted"),),
                               builder=_invite_snapshot),
    ev.MessageReceived: Trigger("message.received", "Client sent a chat message", (), COMMON,
                                builder=_message_snapshot),
    ev.AppointmentBooked: Trigger("appointment.booked", "Appointment booked (by the client or staff)",
                                  ("appointment",), COMMON, (("appointment.starts_at", "Appointment start"),),
                                  builder=_appointment_snapshot),
}

NOT_TRIGGERS: dict[type[ev.Event], str] = {
    ev.DocumentSent: "staff's own action; an automation would follow what staff just did by hand",
    ev.DocumentVoided: "staff's own action: the document is withdrawn, nothing to follow up with the client",
    ev.InvoiceVoided: "staff's own action: the invoice is cancelled",
    ev.InvoiceRefunded: "a refund is staff's own action (or Stripe's echo of it)",
    ev.InvoiceDisputed: "a dispute goes through the bank, not a client sequence",
    ev.MessageSent: "staff's own action: they just wrote to the client",
    ev.AppointmentChanged: "the appointment's own emails tell the client; no follow-up sequence yet",
    ev.AppointmentCancelled: "the appointment's own emails tell the client; no follow-up sequence yet",
    ev.NewDeviceSignIn: "a person's own security notice (Event.personal): emailed to them, never a workspace rule",
    ev.PasswordChanged: "a person's own security notice (Event.personal): emailed to them, never a workspace rule",
    ev.TwoFactorChanged: "a person's own security notice (Event.personal): emailed to them, never a workspace rule",
}

BY_KIND: dict[str, Trigger] = {t.kind: t for t in TRIGGERS.values()}
_CLASS_OF: dict[str, type[ev.Event]] = {t.kind: cls for cls, t in TRIGGERS.items()}


def get(kind: str) -> Trigger | None:
    return BY_KIND.get(kind)


def build(db: Session, event: ev.Event) -> Snapshot | None:
    trigger = TRIGGERS.get(type(event))
    if trigger is None or trigger.builder is None:
        return None
    return trigger.builder(db, event)


def sample(kind: str) -> dict[str, Any]:
    """Made-up values for a preview with no contact chosen (every placeholder has one)."""
    trigger = BY_KIND[kind]
    values: dict[str, dict[str, str]] = {
        "contact": {"first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace",
                    "email": "ada@example.com", "company": "Analytical Engines Ltd"},
        "document": {"title": "Website redesign", "kind": "contract", "status": "completed", "link": "#"},
        "invoice": {"number": "INV-0042", "total": "1,200.00 USD", "amount_due": "1,200.00 USD",
                    "due_date": "31 Dec 2026", "issue_date": "1 Dec 2026", "currency": "USD", "link": "#"},
        "file": {"name": "Brief.pdf", "kind": "file", "link": "#"},
        "appointment": {"title": "30-min check-in", "when": "Tue 08 Dec 2026, 10:00\u201310:30 (Europe/Berlin)",
                        "location": "https://meet.example.com/abc", "with": "Ava Owner", "link": "#"},
    }
    out: dict[str, Any] = {"workspace": {"name": "Your business"}, "portal_url": "#"}
    for root in trigger.schema():
        if root in values:
            out[root] = values[root]
    return out


def class_of(kind: str) -> type[ev.Event] | None:
    return _CLASS_OF.get(kind)
