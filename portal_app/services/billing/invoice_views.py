"""What the invoice pages show: lists (paginated, filtered, a fixed number of queries) and
one invoice's detail, for staff and for the invoice's own client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import (
    Actor,
    Client,
    Staff,
    bound_client,
    client_invoice_clause,
    is_staff,
    require_client,
    require_portal_section,
    require_staff,
)
from portal_app.db import AnyRow, AnySelect, Paged, paged, prebuilt, run, run_page
from portal_app.errors import Invalid, NotFound
from portal_app.models import (
    INVOICE_STATUSES,
    OVERDUE,
    Contact,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    WorkspacePayments,
    contact_name,
    utcnow,
)
from portal_app.models.status import status_label
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.billing.ledger import SIGN
from portal_app.services.billing.money import format_amount, plain_amount
from portal_app.services.billing.refunds import refund_summary
from portal_app.services.portal.portal_settings import section_settings
from portal_app.services.secret_box import SecretUnavailable, unseal

PER_PAGE = 25


# --- view models: what these functions hand the states (plain dicts; the types name their keys)

class InvoiceRow(TypedDict):
    """One invoice in a list (staff's and the client's); money and dates formatted."""
    id: str
    number: str
    contact: str            # "" on the client's list
    status: str             # a status, or "overdue"
    status_label: str
    issue_date: str
    due_date: str
    total: str
    balance: str
    viewed: str             # when the client first opened it ("" = not yet)
    overpaid: bool


class Outstanding(TypedDict):
    """What is left to pay, per currency."""
    currency: str
    amount: str


class ContactChoice(TypedDict, total=False):
    """A client offered or chosen in a picker ({} while none is chosen)."""
    public_id: str
    name: str
    email: str


class DetailLine(TypedDict):
    description: str
    quantity: str
    unit: str
    tax_rate: str           # "8.5 %"
    amount: str


class DetailPayment(TypedDict):
    """A ledger entry: payment, refund, dispute or dispute_won (amount signed)."""
    id: str
    kind: str
    method: str
    amount: str
    date: str
    reference: str
    note: str               # staff only ("" for the client)
    refundable_minor: int   # staff only (0 for the client)
    refundable: str
    refundable_plain: str


class InvoiceText(TypedDict, total=False):
    """What every invoice page shows of one invoice, each value as text: the client's page
    shows exactly these, the staff page these and a few more (not total: a page's var is {}
    until it has loaded)."""
    id: str
    number: str
    status: str
    status_label: str
    issue_date: str
    due_date: str
    currency: str
    notes: str
    terms: str
    subtotal: str
    discount: str           # "" = no discount
    tax: str
    total: str
    paid: str
    balance: str


class InvoiceDetail(InvoiceText):
    """One invoice with its lines and ledger, for staff or for its own client."""
    contact: str
    contact_id: str
    contact_email: str
    lines: list[DetailLine]
    balance_minor: int
    overpaid: bool
    payments: list[DetailPayment]
    refunded: str           # "" = nothing refunded
    refunded_minor: int
    viewed: str
    sent: str
    payable: bool           # open and with a balance (the client page explains how to pay)
    can_pay: bool
    stripe_ready: bool
    allow_partial: bool
    min_partial_minor: int
    publishable_key: str    # the client's only
    is_client: bool


class FormLine(TypedDict):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str


class InvoiceForm(TypedDict):
    """What the staff editor starts from (plain numbers, ISO dates)."""
    id: str                 # "" for a new invoice
    number: str
    contact: ContactChoice
    currency: str
    issue_date: str
    due_date: str
    discount_percent: str
    discount_fixed: str
    notes: str
    terms: str
    lines: list[FormLine]


@dataclass
class InvoicePage:
    rows: list[InvoiceRow]
    total: int
    page: int
    pages: int
    outstanding: list[Outstanding]    # per currency

    def as_dict(self) -> dict:
        return asdict(self)


def status_of(inv: Invoice, today: date) -> tuple[str, str]:
    shown = inv.shown_status(today)
    return shown, status_label("invoice", shown)


def _row(r: AnyRow, contact: str) -> InvoiceRow:
    """A list row from the columns `_listing_columns` reads (`shown_status`: Invoice.shown_status)."""
    money = lambda m: format_amount(m, r.currency)  # noqa: E731
    return {
        "id": r.public_id, "number": r.number, "contact": contact, "status": r.shown_status,
        "status_label": status_label("invoice", r.shown_status),
        "issue_date": r.issue_date.strftime("%d %b %Y"), "due_date": r.due_date.strftime("%d %b %Y"),
        "total": money(r.total_minor), "balance": money(r.balance_minor),
        "viewed": r.first_viewed_at.strftime("%d %b %Y, %H:%M UTC") if r.first_viewed_at else "",
        "overpaid": bool(r.overpaid),
    }


def paginate(db: Session, stmt, page: int) -> tuple[list, int, int, int]:
    # count without the ORDER BY: sorting every row only to count them cost most of a page load
    total = db.exec(select(sa.func.count()).select_from(stmt.order_by(None).subquery())).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, int(page or 1)), pages)
    return db.exec(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all(), total, page, pages


def _outstanding(rows) -> list[Outstanding]:
    return [{"currency": c, "amount": format_amount(int(a or 0), c)} for c, a in rows]


def staff_invoices(db: Session, actor: Actor, *, status: str = "", contact_public_id: str = "",
                   page: int = 1) -> InvoicePage:
    """Filters: a status, or "overdue" (derived from the due date); one contact. Two
    statements built once (for each kind of filter): the page with its total, and what is
    left to pay in the whole workspace."""
    staff: Staff = require_staff(actor)
    by_status = "overdue" if status == OVERDUE else "status" if status in INVOICE_STATUSES else ""
    rows, total, page, pages = run_page(db, _staff_listing(by_status, bool(contact_public_id)), int(page or 1),
                                        PER_PAGE, ws=staff.workspace_id, today=utcnow().date(), status=status,
                                        contact=str(contact_public_id))
    return InvoicePage([_row(r, contact_name(r.first_name, r.last_name, r.email)) for r in rows], total, page,
                       pages, _outstanding(run(db, _staff_outstanding(), ws=staff.workspace_id)))


def _listing_columns(today: sa.BindParameter) -> tuple:
    """What `_row` reads of an invoice."""
    i = Invoice
    return (col(i.public_id), col(i.number), i.shown_status_clause(today).label("shown_status"), col(i.issue_date),
            col(i.due_date), col(i.currency), col(i.total_minor), col(i.balance_minor), col(i.first_viewed_at),
            col(i.overpaid))


def _payable_by_currency(where) -> AnySelect:
    return (sa.select(col(Invoice.currency), sa.func.sum(Invoice.balance_minor))
            .where(where, Invoice.payable_clause()).group_by(col(Invoice.currency)).order_by(col(Invoice.currency)))


@prebuilt
def _staff_listing(by_status: str, by_contact: bool) -> Paged:
    today: sa.BindParameter = sa.bindparam("today", type_=sa.Date)
    stmt = (sa.select(*_listing_columns(today), col(Contact.first_name), col(Contact.last_name), col(Contact.email))
            .join(Contact, col(Contact.id) == Invoice.contact_id)
            .where(col(Invoice.workspace_id) == sa.bindparam("ws")))
    if by_status == "overdue":
        stmt = stmt.where(Invoice.overdue_clause(today))
    elif by_status:
        stmt = stmt.where(col(Invoice.status) == sa.bindparam("status"))
    if by_contact:
        stmt = stmt.where(col(Contact.public_id) == sa.bindparam("contact"))
    return paged(stmt.order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc()))


@prebuilt
def _staff_outstanding() -> AnySelect:
    return _payable_by_currency(col(Invoice.workspace_id) == sa.bindparam("ws"))


def client_section(db: Session, actor: Actor, sections: Mapping[str, object] | None = None) -> Client:
    """The client, while the Invoices section is on (`sections`: when the caller has them)."""
    client = require_client(actor)
    require_portal_section(client, section_settings(db, client.workspace_id, sections), "invoices")
    return client


def client_invoices(db: Session, actor: Actor, page: int = 1,
                    sections: Mapping[str, object] | None = None) -> InvoicePage:
    """A client's own sent invoices, outstanding first (oldest due first), then the rest; two
    statements built once: the page with its total, and what is left to pay."""
    client = client_section(db, actor, sections)
    ids = {"ws": client.workspace_id, "contact": client.contact_id}
    rows, total, page, pages = run_page(db, _client_listing(), int(page or 1), PER_PAGE, today=utcnow().date(), **ids)
    return InvoicePage([_row(r, "") for r in rows], total, page, pages,
                       _outstanding(run(db, _client_outstanding(), **ids)))


@prebuilt
def _client_listing() -> Paged:
    mine = client_invoice_clause(Invoice, bound_client())
    open_first = sa.case((Invoice.payable_clause(), 0), else_=1)
    return paged(sa.select(*_listing_columns(sa.bindparam("today", type_=sa.Date))).where(mine)
                 .order_by(open_first, col(Invoice.due_date), col(Invoice.id).desc()))


@prebuilt
def _client_outstanding() -> AnySelect:
    return _payable_by_currency(client_invoice_clause(Invoice, bound_client()))


def find_invoice(db: Session, actor: Actor, public_id: str) -> tuple[Invoice, bool]:
    """(invoice, viewer is its client). A client asking for another's invoice, or a draft,
    gets NotFound, exactly like an id that does not exist."""
    if is_staff(actor):
        staff = require_staff(actor)
        inv = db.exec(select(Invoice).where(Invoice.workspace_id == staff.workspace_id,
                                            Invoice.public_id == str(public_id or ""))).first()
        if inv is None:
            raise NotFound("This invoice does not exist.")
        return inv, False
    client = client_section(db, actor)
    inv = db.exec(select(Invoice).where(client_invoice_clause(Invoice, client),
                                        Invoice.public_id == str(public_id or ""))).first()
    if inv is None:
        raise NotFound("This invoice does not exist.")
    return inv, True


def invoice_detail(db: Session, actor: Actor, public_id: str) -> InvoiceDetail:
    inv, is_client = find_invoice(db, actor, public_id)
    contact = db.get_one(Contact, inv.contact_id)
    lines = db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                    .order_by(col(InvoiceLine.position))).all()
    entries = db.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id).order_by(col(LedgerEntry.received_at),
                                                                                          col(LedgerEntry.id))).all()
    # staff see what remains refundable of each payment (0 for other rows)
    left = {} if is_client or not inv.takes_payments else refund_summary(db, inv, entries)
    return detail_view(inv, inv.shown_status(utcnow().date()), inv.is_payable, contact, lines, entries,
                       payments_settings(db, inv.workspace_id), is_client=is_client, left=left)


def detail_view(inv: Invoice | AnyRow, shown: str, payable: bool, contact: Contact | AnyRow,
                lines: Sequence[InvoiceLine | AnyRow], entries: Sequence[LedgerEntry | AnyRow],
                settings: WorkspacePayments | AnyRow, *, is_client: bool, left: dict[int, int]) -> InvoiceDetail:
    """One invoice's detail from what was read of it: the entities, or rows of their columns
    (the client's page reads rows: billing/client_invoice.py). `shown`: `Invoice.shown_status`,
    `payable`: `Invoice.is_payable`; `contact` has its public id as `contact_public_id` on a
    row; `left`: what remains refundable of each payment (staff)."""
    try:
        stripe_ready = bool(settings.stripe_publishable_key and unseal(settings.stripe_secret_sealed))
    except SecretUnavailable:
        stripe_ready = False
    money = lambda m: format_amount(m, inv.currency)  # noqa: E731
    refunded = sum(e.amount_minor for e in entries if e.kind == "refund")
    return {
        "id": inv.public_id, "number": inv.number, "status": shown, "status_label": status_label("invoice", shown),
        "contact": contact_name(contact.first_name, contact.last_name, contact.email),
        "contact_id": contact.public_id if isinstance(contact, Contact) else contact.contact_public_id,
        "contact_email": contact.email,
        "issue_date": inv.issue_date.strftime("%d %b %Y"), "due_date": inv.due_date.strftime("%d %b %Y"),
        "currency": inv.currency, "notes": inv.notes, "terms": inv.terms,
        "lines": [{"description": ln.description, "quantity": ln.quantity, "unit": money(ln.unit_minor),
                   "tax_rate": (ln.tax_rate.rstrip("0").rstrip(".") if "." in ln.tax_rate else ln.tax_rate) + " %",
                   "amount": money(ln.amount_minor)} for ln in lines],
        "subtotal": money(inv.subtotal_minor), "discount": money(-inv.discount_minor) if inv.discount_minor else "",
        "tax": money(inv.tax_minor), "total": money(inv.total_minor), "paid": money(inv.paid_minor),
        "balance": money(inv.balance_minor), "balance_minor": inv.balance_minor, "overpaid": bool(inv.overpaid),
        "payments": [{"id": e.public_id, "kind": e.kind, "method": e.method.replace("_", " "),
                      "amount": money(SIGN[e.kind] * e.amount_minor), "date": e.received_at.strftime("%d %b %Y"),
                      "reference": e.reference, "note": e.note if not is_client else "",
                      "refundable_minor": left.get(e.id, 0),
                      "refundable": money(left.get(e.id, 0)), "refundable_plain": plain_amount(left.get(e.id, 0),
                                                                                              inv.currency)}
                     for e in entries],
        "refunded": money(refunded) if refunded else "", "refunded_minor": refunded,
        "viewed": inv.first_viewed_at.strftime("%d %b %Y, %H:%M UTC") if inv.first_viewed_at else "",
        "sent": inv.sent_at.strftime("%d %b %Y, %H:%M UTC") if inv.sent_at else "",
        "payable": payable,
        "can_pay": is_client and stripe_ready and payable,
        "stripe_ready": stripe_ready,
        "allow_partial": bool(settings.allow_partial), "min_partial_minor": settings.min_partial_minor,
        "publishable_key": settings.stripe_publishable_key if is_client else "",
        "is_client": is_client,
    }


def _contact_choice(contact: Contact) -> ContactChoice:
    return {"public_id": contact.public_id, "name": contact.display_name, "email": contact.email}


def new_invoice_form(db: Session, actor: Actor, contact_public_id: str = "") -> InvoiceForm:
    """What the staff editor starts from: the workspace's default currency, today, due in
    30 days, and the contact named in the link (if it is one of this workspace's)."""
    staff: Staff = require_staff(actor)
    settings = payments_settings(db, staff.workspace_id)
    today = utcnow().date()
    contact = None
    if contact_public_id:
        contact = db.exec(select(Contact).where(Contact.workspace_id == staff.workspace_id,
                                                Contact.public_id == str(contact_public_id)[:40])).first()
    return {
        "id": "", "number": f"{settings.invoice_prefix}{settings.next_invoice_number:04d}",
        "contact": _contact_choice(contact) if contact else {}, "currency": settings.default_currency,
        "issue_date": today.isoformat(), "due_date": date.fromordinal(today.toordinal() + 30).isoformat(),
        "discount_percent": "", "discount_fixed": "", "notes": "", "terms": "",
        "lines": [{"description": "", "quantity": "1", "unit_price": "", "tax_rate": "0"}],
    }


def draft_form(db: Session, actor: Actor, public_id: str) -> InvoiceForm:
    """A draft's editable values, as the editor's inputs take them (plain numbers, ISO dates).
    A sent or void invoice is not edited."""
    staff: Staff = require_staff(actor)
    inv = db.exec(select(Invoice).where(Invoice.workspace_id == staff.workspace_id,
                                        Invoice.public_id == str(public_id or ""))).first()
    if inv is None:
        raise NotFound("This invoice does not exist.")
    if inv.status != "draft":
        raise Invalid("Only a draft can be edited. Void this invoice and create a new one instead.")
    contact = db.get_one(Contact, inv.contact_id)
    lines = db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                    .order_by(col(InvoiceLine.position))).all()
    return {
        "id": inv.public_id, "number": inv.number, "contact": _contact_choice(contact), "currency": inv.currency,
        "issue_date": inv.issue_date.isoformat(), "due_date": inv.due_date.isoformat(),
        "discount_percent": inv.discount_percent,
        "discount_fixed": plain_amount(inv.discount_fixed_minor, inv.currency) if inv.discount_fixed_minor else "",
        "notes": inv.notes, "terms": inv.terms,
        "lines": [{"description": ln.description, "quantity": ln.quantity,
                   "unit_price": plain_amount(ln.unit_minor, inv.currency), "tax_rate": ln.tax_rate} for ln in lines],
    }


# --- live pages: what an open page compares every few seconds (one small keyed query)

def detail_marker(db: Session, actor: Actor, public_id: str) -> tuple:
    """What changes when an invoice is sent, viewed, paid, refunded or voided."""
    inv, _ = find_invoice(db, actor, public_id)
    return inv.status, inv.paid_minor, inv.balance_minor, inv.first_viewed_at, inv.updated_at


def rows_marker(db: Session, actor: Actor, public_ids: list[str]) -> list[tuple]:
    """The same for the invoices a staff list shows (at most a page of them)."""
    staff = require_staff(actor)
    ids = [str(i) for i in public_ids[:PER_PAGE]]
    if not ids:
        return []
    return [tuple(r) for r in db.execute(  # five columns: more than sqlmodel's select() is typed for
        sa.select(col(Invoice.public_id), col(Invoice.status), col(Invoice.paid_minor), col(Invoice.first_viewed_at),
                  col(Invoice.updated_at))
        .where(col(Invoice.workspace_id) == staff.workspace_id, col(Invoice.public_id).in_(ids))
        .order_by(col(Invoice.public_id))).all()]
