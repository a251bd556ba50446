"""Invoices, staff side: drafts with exact totals, numbering, sending, voiding, manual
payments; and the client's first view. (Pages and Stripe payments build on these.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Client, client_may_see_invoice, require_client, require_staff
from portal_app.errors import Invalid, NotFound
from portal_app.models import PAYMENT_METHODS, Contact, Invoice, InvoiceLine, WorkspacePayments, utcnow
from portal_app.services import audit, events
from portal_app.services.billing import ledger
from portal_app.services.billing.money import (
    CURRENCIES,
    MAX_UNIT_MINOR,
    Discount,
    Line,
    Totals,
    compute,
    exponent_of,
    parse_decimal,
)
from portal_app.services.validation import clean_text

MAX_LINES = 500
RATE_DECIMALS = 4       # tax rates and discount percentages: 8.875, 12.5; stored as text (12 chars)
MAX_TOTAL_MINOR = MAX_UNIT_MINOR


def payments_settings(db: Session, workspace_id: int) -> WorkspacePayments:
    row = db.get(WorkspacePayments, workspace_id)
    if row is None:
        # Two first requests at once (two drafts, a draft and a settings save): INSERT …
        # ON CONFLICT DO NOTHING lets the second one wait for the first and use its row.
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.execute(insert(WorkspacePayments).values(**WorkspacePayments(workspace_id=workspace_id).model_dump())
                   .on_conflict_do_nothing(index_elements=["workspace_id"]))
        row = db.get_one(WorkspacePayments, workspace_id)
    return row


def _next_number(db: Session, workspace_id: int) -> str:
    """INV-0001, INV-0002, …: one atomic UPDATE … SET n = n + 1 RETURNING (the row is
    locked until commit on PostgreSQL, the database on SQLite), so two drafts never share a
    number, and a number is never reused (deleting a draft does not give it back)."""
    row = payments_settings(db, workspace_id)
    db.flush()
    counter = col(WorkspacePayments.next_invoice_number)
    prefix, after = db.execute(sa.update(WorkspacePayments)
                               .where(col(WorkspacePayments.workspace_id) == workspace_id)
                               .values(next_invoice_number=counter + 1)
                               .returning(col(WorkspacePayments.invoice_prefix), counter)).one()
    db.expire(row, ["next_invoice_number"])
    return f"{prefix}{after - 1:04d}"


def parse_lines(raw_lines: list[dict]) -> list[tuple[str, Line]]:
    if not raw_lines:
        raise Invalid("Add at least one line.", "lines")
    if len(raw_lines) > MAX_LINES:
        raise Invalid(f"An invoice has at most {MAX_LINES} lines.", "lines")
    out = []
    for i, raw in enumerate(raw_lines, 1):
        desc = clean_text(raw.get("description", ""), "description", f"Line {i} description", limits.LINE_DESCRIPTION,
                          multiline=True, required=True)
        qty = parse_decimal(raw.get("quantity", "1"), f"Line {i} quantity", "quantity")
        if exponent_of(qty) < -3:
            raise Invalid(f"Line {i} quantity can have at most 3 decimals.", "quantity")
        unit = raw.get("unit_minor")
        if not isinstance(unit, int) or isinstance(unit, bool):
            raise Invalid(f"Line {i} unit price is missing.", "unit_price")
        rate = parse_decimal(raw.get("tax_rate", "0"), f"Line {i} tax rate", "tax_rate")
        if exponent_of(rate) < -RATE_DECIMALS:
            raise Invalid(f"Line {i} tax rate can have at most {RATE_DECIMALS} decimals.", "tax_rate")
        out.append((desc, Line(qty, unit, rate)))
    return out


def _discount(percent: object, fixed_minor: int) -> Discount:
    if str(percent or "").strip():
        pct = parse_decimal(percent, "Discount", "discount")
        if exponent_of(pct) < -RATE_DECIMALS:
            raise Invalid(f"A discount can have at most {RATE_DECIMALS} decimals.", "discount")
        return Discount(percent=pct)
    if fixed_minor is None or fixed_minor == 0:
        return Discount()
    if not isinstance(fixed_minor, int) or isinstance(fixed_minor, bool):
        raise Invalid("The discount must be an amount.", "discount")
    return Discount(amount_minor=fixed_minor)


def _priced(raw_lines: list[dict], discount_percent: object,
            discount_fixed_minor: int) -> tuple[list[tuple[str, Line]], Discount, Totals]:
    """Everything checked and computed before anything is written."""
    lines = parse_lines(raw_lines)
    disc = _discount(discount_percent, discount_fixed_minor)
    totals = compute([ln for _, ln in lines], disc)
    if max(totals.subtotal, totals.total) > MAX_TOTAL_MINOR:
        raise Invalid("The invoice total is too large (at most 10,000,000,000).", "lines")
    return lines, disc, totals


def _apply(db: Session, inv: Invoice, raw_lines: list[dict], discount_percent: object, discount_fixed_minor: int,
           priced: tuple[list[tuple[str, Line]], Discount, Totals] | None = None) -> None:
    lines, disc, totals = priced or _priced(raw_lines, discount_percent, discount_fixed_minor)
    for old in db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all():
        db.delete(old)
    for pos, ((desc, ln), amount) in enumerate(zip(lines, totals.line_amounts, strict=True)):
        db.add(InvoiceLine(invoice_id=inv.id, position=pos, description=desc, quantity=str(ln.quantity),
                           unit_minor=ln.unit_minor, tax_rate=str(ln.tax_rate), amount_minor=amount))
    inv.discount_percent = str(disc.percent) if disc.percent is not None else ""
    inv.discount_fixed_minor = disc.amount_minor or 0
    inv.subtotal_minor, inv.discount_minor, inv.tax_minor = totals.subtotal, totals.discount, totals.tax
    inv.total_minor = totals.total
    inv.balance_minor = totals.total - inv.paid_minor


def create_invoice(db: Session, actor: Actor, *, contact_public_id: str, lines: list[dict], currency: str = "USD",
                   issue_date: date | None = None, due_date: date | None = None, discount_percent: object = "",
                   discount_fixed_minor: int = 0, notes: str = "", terms: str = "") -> Invoice:
    staff = require_staff(actor)
    contact = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                            Contact.public_id == str(contact_public_id))).first()
    if contact is None:
        raise NotFound("This contact no longer exists.")
    currency = str(currency or "").upper()
    if currency not in CURRENCIES:
        raise Invalid("Choose a currency from the list.", "currency")
    issue = issue_date or utcnow().date()
    due = due_date or issue
    if due < issue:
        raise Invalid("The due date cannot be before the issue date.", "due_date")
    notes = clean_text(notes, "notes", "Notes", limits.INVOICE_NOTES, multiline=True)
    terms = clean_text(terms, "terms", "Terms", limits.INVOICE_TERMS, multiline=True)
    priced = _priced(lines, discount_percent, discount_fixed_minor)  # refused input takes no number
    inv = Invoice(workspace_id=staff.workspace_id, contact_id=contact.id, number=_next_number(db, staff.workspace_id),
                  currency=currency, issue_date=issue, due_date=due, notes=notes, terms=terms,
                  created_by_user_id=staff.user_id)
    db.add(inv)
    db.flush()
    _apply(db, inv, lines, discount_percent, discount_fixed_minor, priced)
    db.flush()
    audit.record(db, staff.workspace_id, staff, "invoice.created", "invoice", inv.public_id,
                 {"number": inv.number, "total": inv.total_minor, "currency": currency})
    return inv


def get_invoice(db: Session, workspace_id: int, public_id: str) -> Invoice:
    inv = db.exec(select(Invoice).where(Invoice.workspace_id == workspace_id,
                                        Invoice.public_id == str(public_id or ""))).first()
    if inv is None:
        raise NotFound("This invoice does not exist.")
    return inv


def send_invoice(db: Session, actor: Actor, public_id: str) -> Invoice:
    staff = require_staff(actor)
    inv = get_invoice(db, staff.workspace_id, public_id)
    if inv.status == "void":
        raise Invalid("A void invoice cannot be sent.")
    if inv.total_minor <= 0:
        raise Invalid("An invoice needs a total above zero before it is sent.")
    first = inv.status == "draft"
    if first:
        inv.status, inv.sent_at = "sent", utcnow()
        db.add(inv)
    audit.record(db, staff.workspace_id, staff, "invoice.sent" if first else "invoice.resent", "invoice",
                 inv.public_id, {"number": inv.number})
    events.raise_event(db, events.InvoiceSent(workspace_id=staff.workspace_id, invoice=inv.public_id,
                                              number=inv.number))
    return inv


def void_invoice(db: Session, actor: Actor, public_id: str) -> Invoice:
    staff = require_staff(actor)
    inv = get_invoice(db, staff.workspace_id, public_id)
    if inv.status == "void":
        return inv
    if inv.paid_minor > 0 or inv.status == "paid":
        raise Invalid("An invoice with payments cannot be voided; refund the payments first.")
    inv.status, inv.voided_at, inv.updated_at = "void", utcnow(), utcnow()
    db.add(inv)
    audit.record(db, staff.workspace_id, staff, "invoice.voided", "invoice", inv.public_id, {"number": inv.number})
    events.raise_event(db, events.InvoiceVoided(workspace_id=staff.workspace_id, invoice=inv.public_id,
                                                number=inv.number))
    return inv


def record_manual_payment(db: Session, actor: Actor, public_id: str, *, amount_minor: int, method: str,
                          reference: str = "", received_on: date | None = None):
    staff = require_staff(actor)
    inv = get_invoice(db, staff.workspace_id, public_id)
    if not inv.takes_payments:
        raise Invalid("Payments are recorded on sent invoices only.")
    if method not in PAYMENT_METHODS or method == "card":
        raise Invalid("Choose cash, check, bank transfer or other.", "method")
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise Invalid("The amount must be more than zero.", "amount")
    if amount_minor > MAX_TOTAL_MINOR:
        raise Invalid("The amount is too large.", "amount")
    # the day the money came in; noon UTC is that same date from UTC−11 to UTC+11
    received_at = datetime.combine(received_on, time(12), tzinfo=UTC) if received_on else None
    entry = ledger.book(db, inv, "payment", amount_minor, dedupe_key=None, method=method,
                        reference=clean_text(reference, "reference", "Reference", limits.PAYMENT_REFERENCE),
                        created_by_user_id=staff.user_id, received_at=received_at)
    audit.record(db, staff.workspace_id, staff, "invoice.payment_recorded", "invoice", inv.public_id,
                 {"amount": amount_minor, "method": method})
    _paid_events(db, inv)
    return entry


def _paid_events(db: Session, inv: Invoice) -> None:
    event = events.InvoicePaid if inv.status == "paid" else events.InvoicePaymentReceived
    events.raise_event(db, event(workspace_id=inv.workspace_id, invoice=inv.public_id, number=inv.number,
                                 paid=inv.paid_minor, balance=inv.balance_minor, overpaid=inv.overpaid))


def mark_viewed(db: Session, actor: Actor, public_id: str) -> Invoice:
    """A client opened their invoice: the first time is remembered (staff see "viewed")."""
    client: Client = require_client(actor)
    inv = get_invoice(db, client.workspace_id, public_id)
    if not client_may_see_invoice(client, inv):
        raise NotFound("This invoice does not exist.")
    if inv.first_viewed_at is None:
        inv.first_viewed_at = utcnow()
        db.add(inv)
        audit.record(db, client.workspace_id, client, "invoice.viewed", "invoice", inv.public_id, {"number": inv.number})
        events.raise_event(db, events.InvoiceViewed(workspace_id=client.workspace_id, invoice=inv.public_id))
    return inv


def update_draft(db: Session, actor: Actor, public_id: str, *, lines: list[dict], currency: str | None = None,
                 issue_date: date | None = None, due_date: date | None = None, discount_percent: object = "",
                 discount_fixed_minor: int = 0, notes: str = "", terms: str = "") -> Invoice:
    """Edit a draft (a sent invoice is not edited: void it and issue a new one)."""
    staff = require_staff(actor)
    inv = get_invoice(db, staff.workspace_id, public_id)
    if inv.status != "draft":
        raise Invalid("Only a draft can be edited. Void this invoice and create a new one instead.")
    if currency is not None:
        currency = str(currency).upper()
        if currency not in CURRENCIES:
            raise Invalid("Choose a currency from the list.", "currency")
        inv.currency = currency
    inv.issue_date = issue_date or inv.issue_date
    inv.due_date = due_date or inv.due_date
    if inv.due_date < inv.issue_date:
        raise Invalid("The due date cannot be before the issue date.", "due_date")
    inv.notes = clean_text(notes, "notes", "Notes", limits.INVOICE_NOTES, multiline=True)
    inv.terms = clean_text(terms, "terms", "Terms", limits.INVOICE_TERMS, multiline=True)
    _apply(db, inv, lines, discount_percent, discount_fixed_minor)
    inv.updated_at = utcnow()
    db.add(inv)
    db.flush()
    audit.record(db, staff.workspace_id, staff, "invoice.edited", "invoice", inv.public_id,
                 {"number": inv.number, "total": inv.total_minor})
    return inv


def delete_draft(db: Session, actor: Actor, public_id: str) -> None:
    """A draft nobody was sent can go; its number is not given back."""
    staff = require_staff(actor)
    inv = get_invoice(db, staff.workspace_id, public_id)
    if inv.status != "draft":
        raise Invalid("Only a draft can be deleted; void a sent invoice instead.")
    for line in db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all():
        db.delete(line)
    db.flush()  # the lines first: without a relationship nothing orders the two DELETEs
    db.delete(inv)
    audit.record(db, staff.workspace_id, staff, "invoice.deleted", "invoice", inv.public_id, {"number": inv.number})
