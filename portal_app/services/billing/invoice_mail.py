"""The client hears about an invoice sent to them.

`email_invoice_sent` is the handler of events.InvoiceSent (registered in services/bus.py, run
by the worker in the event's transaction): the invoice's contact gets a branded email with
the number, what is due, the due date and a link to the invoice in their portal.

Only a contact with an active portal account is emailed: the link opens a page behind
sign-in, and a person who has not chosen a password yet could not follow it (their
invitation's one-time link is in the invitation email; the invoice waits in their portal
once they accept it). `sent_note` tells staff, after sending, which way it went, from the
same rule (`delivery`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session, select

from portal_app.access import Actor, Client, client_may_see_invoice, require_staff
from portal_app.models import ClientAccount, ClientStatus, Contact, Invoice, Workspace
from portal_app.services import emails, events
from portal_app.services.billing.invoices import get_invoice
from portal_app.services.billing.money import format_amount

log = logging.getLogger("portal.events")


@dataclass(frozen=True)
class Delivery:
    """Whom an invoice's email goes to; `why_not` says why nobody is emailed ("" when someone is)."""

    contact: Contact | None
    why_not: str

    @property
    def to(self) -> str:
        return self.contact.email if self.contact is not None and not self.why_not else ""


def delivery(db: Session, inv: Invoice) -> Delivery:
    contact = db.exec(select(Contact).where(Contact.workspace_id == inv.workspace_id,
                                            Contact.id == inv.contact_id)).first()
    if contact is None:
        return Delivery(None, "Nobody was emailed: this invoice's client no longer exists.")
    name = contact.display_name
    if not contact.email:
        return Delivery(contact, f"Nobody was emailed: {name} has no email address.")
    account = db.exec(select(ClientAccount).where(ClientAccount.workspace_id == inv.workspace_id,
                                                  ClientAccount.contact_id == contact.id)).first()
    if account is None:
        return Delivery(contact, f"Nobody was emailed: {name} has no portal access yet. Send them a portal "
                                 "invite; the invoice will be waiting in their portal.")
    if account.status == ClientStatus.invited.value:
        return Delivery(contact, f"Nobody was emailed: {name} has not accepted the portal invitation yet. "
                                 "The invoice will be waiting in their portal once they do.")
    if account.status != ClientStatus.active.value:
        return Delivery(contact, f"Nobody was emailed: portal access is disabled for {name}.")
    reader = Client(workspace_id=inv.workspace_id, contact_id=contact.id, account_id=account.id,
                    email=contact.email, name=name)
    if not client_may_see_invoice(reader, inv):
        return Delivery(contact, "Nobody was emailed: a draft is not shown to the client.")
    if inv.status == "void":
        return Delivery(contact, "Nobody was emailed: the invoice is void.")
    return Delivery(contact, "")


def sent_note(db: Session, actor: Actor, public_id: str) -> str:
    """What staff are told once an invoice is sent: who is emailed, or why nobody is."""
    staff = require_staff(actor)
    d = delivery(db, get_invoice(db, staff.workspace_id, public_id))
    return d.why_not or f"An email with a link to it is on its way to {d.to}."


def email_invoice_sent(db: Session, event: events.InvoiceSent) -> None:
    inv = db.exec(select(Invoice).where(Invoice.workspace_id == event.workspace_id,
                                        Invoice.public_id == event.invoice)).first()
    if inv is None:  # not this workspace's: nobody is told anything about it
        log.warning("invoice.sent names no invoice of workspace %s: %s", event.workspace_id, event.invoice)
        return
    d = delivery(db, inv)
    if d.contact is None or not d.to:
        log.info("invoice %s sent, nobody emailed: %s", inv.public_id, d.why_not)
        return
    ws = db.get_one(Workspace, inv.workspace_id)
    settled = inv.balance_minor <= 0
    emails.invoice_email(
        db, ws, to=d.to, contact_name=d.contact.display_name, number=inv.number,
        amount=format_amount(inv.total_minor if settled else inv.balance_minor, inv.currency),
        due=inv.due_date.strftime("%d %b %Y"), settled=settled,
        link=f"{ws.base_url}/invoices/{inv.public_id}")  # the configured base URL, never a Host header
