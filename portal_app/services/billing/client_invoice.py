"""The client's invoice page (/invoices/<id>): one of their invoices with its lines and
payments, both parties, what Pay Now offers, and whether a payment is on its way.

Every open of the page reads this, so it reads in three statements built once (db.prebuilt)
from the same rules as invoice_detail, checkout and payment_on_its_way (the access clause,
the models' status clauses, card_payments.on_its_way_clause) and run as plain rows: the
invoice with its contact, business name and details, payment settings and instructions
and the payment check in one;
its lines; its ledger. Recording the client's first view is the caller's (a write, through
the ORM: invoices.mark_viewed), told by `first_view`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from portal_app.access import Actor, bound_client, client_invoice_clause
from portal_app.db import AnySelect, prebuilt, run
from portal_app.errors import NotFound
from portal_app.models import (
    Contact,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    PaymentInstructions,
    Workspace,
    WorkspacePayments,
    utcnow,
)
from portal_app.services.billing.card_payments import IN_FLIGHT, Checkout, checkout_of, on_its_way_clause
from portal_app.services.billing.invoice_pdf import business_party, client_party, party_dict
from portal_app.services.billing.invoice_views import InvoiceDetail, client_section, detail_view
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.billing.money import format_amount
from portal_app.services.billing.payment_instructions import HowToPay, Instructions, how_to_pay
from portal_app.services.billing.payment_instructions import columns as instruction_columns


@dataclass
class ClientInvoicePage:
    detail: InvoiceDetail
    business: dict          # invoice_pdf.party_dict
    client: dict
    checkout: Checkout
    on_its_way: bool        # card_payments.payment_on_its_way
    how: HowToPay           # the offered ways to pay, and what the top of the page says
    first_view: bool        # its client has not opened it before


def client_invoice_page(db: Session, actor: Actor, public_id: str,
                        sections: Mapping[str, object] | None = None) -> ClientInvoicePage:
    """The page for the invoice's own client while the Invoices section is on (`sections`:
    when the caller has them); NotFound for anyone else's invoice, a draft, or no such id,
    exactly as invoice_detail."""
    client = client_section(db, actor, sections)
    st = _statements()
    now = utcnow()
    inv = run(db, st.invoice, ws=client.workspace_id, contact=client.contact_id, public_id=str(public_id or ""),
              today=now.date(), since=now - IN_FLIGHT).first()
    if inv is None:
        raise NotFound("This invoice does not exist.")
    lines = run(db, st.lines, invoice=inv.id).all()
    entries = run(db, st.entries, invoice=inv.id).all()
    # the settings row is made on a workspace's first look (a write): rare, through the ORM
    settings = inv if inv.payments_row is not None else payments_settings(db, inv.workspace_id)
    payable = bool(inv.payable)
    ins = Instructions.from_row(inv)
    checkout = checkout_of(inv, payable, settings)
    return ClientInvoicePage(
        detail=detail_view(inv, inv.shown_status, payable, inv, lines, entries, settings, is_client=True, left={}),
        business=party_dict(business_party(inv, ins)), client=party_dict(client_party(inv)),
        checkout=checkout, on_its_way=bool(inv.on_its_way), first_view=inv.first_viewed_at is None,
        how=how_to_pay(ins, business=inv.name, number=inv.number, payable=payable, card=checkout.available,
                       balance=format_amount(max(inv.balance_minor, 0), inv.currency)))


@dataclass(frozen=True)
class _Statements:
    invoice: AnySelect
    lines: AnySelect
    entries: AnySelect


@prebuilt
def _statements() -> _Statements:
    client = bound_client()
    today: sa.BindParameter = sa.bindparam("today", type_=sa.Date)
    i, c, p = Invoice, Contact, WorkspacePayments
    head = (sa.select(
        col(i.id), col(i.public_id), col(i.workspace_id), col(i.number), col(i.currency), col(i.issue_date),
        col(i.due_date), col(i.notes), col(i.terms), col(i.subtotal_minor), col(i.discount_minor), col(i.tax_minor),
        col(i.total_minor), col(i.paid_minor), col(i.balance_minor), col(i.overpaid), col(i.sent_at),
        col(i.first_viewed_at),
        i.shown_status_clause(today).label("shown_status"), i.payable_clause().label("payable"),
        sa.exists().where(on_its_way_clause(i.id, client.contact_id, sa.bindparam("since"))).label("on_its_way"),
        # the client's party (invoice_pdf.client_party) and the detail's contact
        col(c.public_id).label("contact_public_id"), col(c.first_name), col(c.last_name), col(c.company),
        col(c.email), col(c.address_line1), col(c.address_line2), col(c.city), col(c.region), col(c.postal_code),
        col(c.country),
        col(Workspace.name),  # the business's party (invoice_pdf.business_party)
        col(p.workspace_id).label("payments_row"), col(p.allow_partial), col(p.min_partial_minor),
        col(p.stripe_publishable_key), col(p.stripe_secret_sealed), col(p.stripe_webhook_secret_sealed),
        *instruction_columns())  # the business's details and its other ways to pay (payment_instructions)
        .select_from(i).join(c, col(c.id) == i.contact_id).join(Workspace, col(Workspace.id) == i.workspace_id)
        .outerjoin(p, col(p.workspace_id) == i.workspace_id)
        .outerjoin(PaymentInstructions, col(PaymentInstructions.workspace_id) == i.workspace_id)
        .where(client_invoice_clause(i, client), col(i.public_id) == sa.bindparam("public_id")))
    lines = (sa.select(col(InvoiceLine.description), col(InvoiceLine.quantity), col(InvoiceLine.unit_minor),
                       col(InvoiceLine.tax_rate), col(InvoiceLine.amount_minor))
             .where(col(InvoiceLine.invoice_id) == sa.bindparam("invoice")).order_by(col(InvoiceLine.position)))
    e = LedgerEntry
    entries = (sa.select(col(e.id), col(e.public_id), col(e.kind), col(e.method), col(e.amount_minor),
                         col(e.received_at), col(e.reference), col(e.note))
               .where(col(e.invoice_id) == sa.bindparam("invoice")).order_by(col(e.received_at), col(e.id)))
    return _Statements(head, lines, entries)
