"""Download PDF: an invoice's branded PDF for the people allowed to see it.

Authorization is invoice_detail's (services/billing/invoice_views.py `find_invoice`): staff of the
invoice's workspace, or the invoice's own client while the Invoices section is on; a draft
is never a client's; anything else is NotFound, exactly like an id that does not exist.

The adapter (adapters/pdf.py and the modules it draws with) is deterministic, so the rendered
bytes are cached in the storage adapter under a key derived from the content hash of the view
model (plus the renderer's own source): any change — a payment, a voided invoice, a new logo or colour, a
due date passing (overdue) — gives another key, so a stale PDF is never served. A small
pointer blob per invoice names the current version, so the one it replaces is deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlmodel import Session, col, select

from portal_app.access import Actor
from portal_app.adapters import pdf as pdf_adapter
from portal_app.adapters import pdf_invoice_blocks, pdf_invoice_model, pdf_invoice_pages, pdf_text
from portal_app.adapters.pdf import InvoicePdf, LinePdf, PartyPdf, PaymentPdf, PayMethodPdf, render_invoice
from portal_app.adapters.storage import StorageError, get_storage
from portal_app.db import AnyRow
from portal_app.errors import ServiceError
from portal_app.models import (
    Contact,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Workspace,
    WorkspacePayments,
    contact_name,
    utcnow,
)
from portal_app.services.billing.invoice_views import find_invoice, status_of
from portal_app.services.billing.money import Discount, Line, compute, format_amount
from portal_app.services.billing.payment_instructions import HowToPay, Instructions, how_to_pay, instructions_for
from portal_app.services.portal.portal_settings import portal_settings_for

log = logging.getLogger("portal.invoice_pdf")

ROUNDING_NOTE = "Amounts rounded half up per line; tax is charged after the discount."
METHOD_LABELS = {"card": "Card", "cash": "Cash", "check": "Check", "bank_transfer": "Bank transfer",
                 "other": "Other"}
KIND_LABELS = {"refund": "Refund", "dispute": "Dispute", "dispute_won": "Dispute won"}
SIGN = {"payment": 1, "refund": -1, "dispute": -1, "dispute_won": 1}
# the renderer's code (every module of it) is part of the cache key: a new layout never serves an old file
_RENDERER_FILES = (pdf_adapter.__file__, pdf_text.__file__, pdf_invoice_model.__file__, pdf_invoice_pages.__file__,
                   pdf_invoice_blocks.__file__)
_RENDERER = hashlib.sha256(b"".join(Path(f).read_bytes() for f in _RENDERER_FILES)).hexdigest()[:16]


@dataclass(frozen=True)
class InvoicePdfFile:
    filename: str        # "INV-0001.pdf"
    data: bytes


# ------------------------------------------------------------------ parties


def business_party(ws: Workspace | AnyRow, ins: Instructions | None = None) -> PartyPdf:
    """The business block: the workspace's name, and the business details of Settings ›
    Payments (`ins`: legal name, address, email, phone, tax id). `ws`: the workspace, or a
    row with its `name`."""
    ins = ins or Instructions()
    return PartyPdf(name=ws.name, company=ins.legal_name, email=ins.email, address_lines=ins.address_lines,
                    phone=ins.phone, tax_id=ins.tax_id)


def client_party(contact: Contact | AnyRow) -> PartyPdf:
    """The client block: the contact, or a row with its columns (names and address)."""
    city = " ".join(p for p in (contact.city, contact.region, contact.postal_code) if p)
    if contact.city and (contact.region or contact.postal_code):
        city = f"{contact.city}, " + " ".join(p for p in (contact.region, contact.postal_code) if p)
    lines = [ln for ln in (contact.address_line1, contact.address_line2, city, contact.country) if ln]
    return PartyPdf(name=contact_name(contact.first_name, contact.last_name, contact.email), company=contact.company,
                    email=contact.email, address_lines=lines)


def party_dict(party: PartyPdf) -> dict:
    """What the detail page shows of a party (small, plain)."""
    return {"name": party.name, "company": party.company if party.company != party.name else "",
            "email": party.email, "lines": list(party.address_lines), "phone": party.phone, "tax_id": party.tax_id}


def invoice_parties(db: Session, actor: Actor, public_id: str) -> dict:
    """{"business": …, "client": …} for an invoice the actor may see (same rule as the PDF)."""
    inv, _ = find_invoice(db, actor, public_id)
    ws = db.get_one(Workspace, inv.workspace_id)
    contact = db.get_one(Contact, inv.contact_id)
    return {"business": party_dict(business_party(ws, instructions_for(db, ws.id))),
            "client": party_dict(client_party(contact))}


def pdf_how_to_pay(how: HowToPay) -> list[PayMethodPdf]:
    """The page's How to pay, as the PDF prints it (copy buttons are the page's)."""
    return [PayMethodPdf(title=m["title"], rows=[(r["label"], r["value"]) for r in m["rows"]], note=m["note"])
            for m in how["methods"]]


def _card_connected(db: Session, workspace_id: int) -> bool:
    """Whether the workspace takes cards online (the portal's Pay now): a read, never a write."""
    row = db.get(WorkspacePayments, workspace_id)
    return bool(row and row.stripe_publishable_key and row.stripe_secret_sealed and row.stripe_webhook_secret_sealed)


# ------------------------------------------------------------------ the view model


def _rate_label(rate: str) -> str:
    text = rate.rstrip("0").rstrip(".") if "." in rate else rate
    return "" if text in ("", "0") else f"{text} %"


def _tax_rows(inv: Invoice, lines: list[InvoiceLine]) -> list[tuple[str, str]]:
    """Tax per rate, recomputed by the same money rules the totals came from; if that ever
    disagreed with the stored totals, one "Tax" row with the stored figure is shown."""
    if not inv.tax_minor:
        return []
    try:
        discount = (Discount(percent=Decimal(inv.discount_percent)) if inv.discount_percent
                    else Discount(amount_minor=inv.discount_fixed_minor) if inv.discount_fixed_minor else Discount())
        totals = compute([Line(Decimal(ln.quantity), ln.unit_minor, Decimal(ln.tax_rate)) for ln in lines], discount)
    except (InvalidOperation, ValueError, ServiceError):  # a stored row we cannot recompute
        totals = None
    if totals is None or totals.tax != inv.tax_minor or not totals.tax_by_rate:
        return [("Tax", format_amount(inv.tax_minor, inv.currency))]
    return [(f"Tax {rate} %", format_amount(amount, inv.currency))
            for rate, amount in sorted(totals.tax_by_rate.items(), key=lambda kv: Decimal(kv[0]))]


def payment_label(kind: str, method: str) -> str:
    """"Card", "Bank transfer", "Refund (card)": the same words on the page and the PDF."""
    key = str(method).replace(" ", "_")
    label = METHOD_LABELS.get(key, key.replace("_", " ").capitalize())
    if kind in KIND_LABELS:
        label = f"{KIND_LABELS[kind]} ({label.lower()})"
    return label


def _payment(entry: LedgerEntry, currency: str) -> PaymentPdf:
    method = payment_label(entry.kind, entry.method)
    return PaymentPdf(date=entry.received_at.date(), method=method,
                      amount=format_amount(SIGN.get(entry.kind, 1) * entry.amount_minor, currency),
                      reference=entry.reference)


def _logo(db: Session, workspace_id: int) -> bytes | None:
    ps = portal_settings_for(db, workspace_id)
    if not ps.logo_key:
        return None
    try:
        return get_storage().get(ps.logo_key)
    except StorageError:
        log.warning("workspace %s has a logo key but no logo blob", workspace_id)
        return None


def build_invoice_pdf(db: Session, actor: Actor, public_id: str, today: date | None = None) -> tuple[Invoice, InvoicePdf]:
    """(invoice, the adapter's view model), for staff of the workspace or the invoice's own
    client (drafts never to clients); NotFound otherwise."""
    inv, _is_client = find_invoice(db, actor, public_id)
    ws = db.get_one(Workspace, inv.workspace_id)
    contact = db.get_one(Contact, inv.contact_id)
    lines = db.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                    .order_by(col(InvoiceLine.position))).all()
    entries = db.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id)
                      .order_by(col(LedgerEntry.received_at), col(LedgerEntry.id))).all()
    ps = portal_settings_for(db, inv.workspace_id)
    ins = instructions_for(db, inv.workspace_id)
    # a draft says what its client will be told once it is sent
    owing = inv.status in ("draft", "sent", "partially_paid") and inv.balance_minor > 0
    how = how_to_pay(ins, business=ws.name, number=inv.number, balance=format_amount(inv.balance_minor, inv.currency),
                     card=owing and _card_connected(db, inv.workspace_id), payable=owing)
    money = lambda m: format_amount(m, inv.currency)  # noqa: E731
    status, _label = status_of(inv, today or utcnow().date())
    discount_label = "Discount"
    if inv.discount_percent:
        discount_label = f"Discount ({_rate_label(inv.discount_percent) or '0 %'})"
    model = InvoicePdf(
        number=inv.number, status=status, issue_date=inv.issue_date, due_date=inv.due_date, currency=inv.currency,
        business=business_party(ws, ins), client=client_party(contact),
        lines=[LinePdf(description=ln.description, quantity=ln.quantity, unit_price=money(ln.unit_minor),
                       # "8.875%": the narrow Tax column would wrap "8.875 %" at its space
                       tax_rate_label=_rate_label(ln.tax_rate).replace(" ", ""), amount=money(ln.amount_minor))
              for ln in lines],
        subtotal=money(inv.subtotal_minor), total=money(inv.total_minor), balance=money(inv.balance_minor),
        amount_paid=money(inv.paid_minor) if entries else "",
        discount=money(-inv.discount_minor) if inv.discount_minor else "", discount_label=discount_label,
        tax_by_rate=_tax_rows(inv, list(lines)),
        payments=[_payment(e, inv.currency) for e in entries],
        notes=inv.notes, terms=inv.terms, accent_color=ps.accent_color or pdf_adapter.DEFAULT_ACCENT,
        logo_png=_logo(db, inv.workspace_id), rounding_note=ROUNDING_NOTE,
        how_to_pay=pdf_how_to_pay(how), how_to_pay_note=how["banner"] if not how["methods"] else "",
    )
    return inv, model


# ------------------------------------------------------------------ cache


def content_hash(model: InvoicePdf, paper: str = "A4") -> str:
    """A stable digest of everything the PDF shows (the logo by its own digest)."""
    data = asdict(model)
    logo = data.pop("logo_png")
    data["logo_sha256"] = hashlib.sha256(logo).hexdigest() if logo else ""
    data["paper"], data["renderer"] = paper, _RENDERER
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def _keys(ws_public_id: str, inv_public_id: str, digest: str) -> tuple[str, str]:
    folder = f"{ws_public_id}/invoice-pdf/{inv_public_id}"
    return f"{folder}/{digest[:48]}.pdf", f"{folder}/current"


def invoice_pdf(db: Session, actor: Actor, public_id: str) -> InvoicePdfFile:
    """The PDF bytes, from the cache when this exact content was rendered before."""
    inv, model = build_invoice_pdf(db, actor, public_id)
    ws = db.get_one(Workspace, inv.workspace_id)
    digest = content_hash(model)
    key, pointer = _keys(ws.public_id, inv.public_id, digest)
    filename = f"{inv.number}.pdf"
    storage = get_storage()
    try:
        return InvoicePdfFile(filename, storage.get(key))
    except StorageError:
        pass
    except Exception:
        log.exception("invoice PDF cache read failed for %s", inv.public_id)
    data = render_invoice(model)
    try:
        try:
            previous = storage.get(pointer).decode("ascii", "replace").strip()
        except StorageError:
            previous = ""
        storage.put(key, data, "application/pdf")
        storage.put(pointer, digest.encode(), "text/plain")
        if previous and previous != digest:
            storage.delete(_keys(ws.public_id, inv.public_id, previous)[0])
    except Exception:
        log.exception("invoice PDF cache write failed for %s", inv.public_id)
    return InvoicePdfFile(filename, data)
