"""The invoice PDF's view model: what to draw (`InvoicePdf` and its parts, filled by the
invoice service with amounts already formatted), the statuses it knows, and the caps on
what one field may contribute. The rendering is adapters/pdf.py's `render_invoice`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal_app.adapters.pdf_text import DEFAULT_ACCENT

STATUSES = ("draft", "sent", "partially_paid", "paid", "void", "overdue")

# Caps on what one field may contribute (characters; lines once wrapped).
MAX_SHORT = 300           # names, labels, amounts, numbers
MAX_DESCRIPTION = 4_000
MAX_LONG = 10_000          # notes, terms
MAX_PAY_METHODS = 4
MAX_PAY_ROWS = 8
MAX_DESCRIPTION_LINES = 80  # a row taller than a page continues on the next one
MAX_NOTE_LINES = 200
MAX_ADDRESS_LINES = 8


# ------------------------------------------------------------------ the view model


@dataclass(frozen=True, kw_only=True)
class PartyPdf:
    name: str
    company: str = ""
    email: str = ""
    address_lines: list[str] = field(default_factory=list)
    phone: str = ""
    tax_id: str = ""              # printed "Tax ID: …"


@dataclass(frozen=True, kw_only=True)
class PayMethodPdf:
    """One way to pay under "How to pay": a title, (label, value) rows, a sentence."""
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class LinePdf:
    description: str
    quantity: str                 # "2", "1.5"
    unit_price: str               # formatted: "120.00 USD"
    tax_rate_label: str = ""      # "8.875 %", "" for none
    amount: str                   # formatted: quantity × unit price


@dataclass(frozen=True, kw_only=True)
class PaymentPdf:
    date: date
    method: str                   # "Card", "Bank transfer", "Refund (card)"
    amount: str                   # formatted; negative for a refund: "-50.00 USD"
    reference: str = ""


@dataclass(frozen=True, kw_only=True)
class InvoicePdf:
    number: str
    status: str                   # one of STATUSES
    issue_date: date
    due_date: date
    currency: str                 # ISO code, shown in the details block
    business: PartyPdf
    client: PartyPdf
    lines: list[LinePdf]
    subtotal: str
    total: str
    balance: str
    amount_paid: str = ""         # "" hides the row
    discount: str = ""            # negative, formatted ("−12.00 USD"); "" hides the row
    discount_label: str = ""      # "Discount (10 %)"; "Discount" when empty
    tax_by_rate: list[tuple[str, str]] = field(default_factory=list)  # ("Tax 8.875 %", "8.88 USD")
    payments: list[PaymentPdf] = field(default_factory=list)
    notes: str = ""
    terms: str = ""
    accent_color: str = DEFAULT_ACCENT   # "#rrggbb"; anything else falls back to the default
    logo_png: bytes | None = None
    rounding_note: str = ""       # e.g. "Amounts rounded half up per line."
    how_to_pay: list[PayMethodPdf] = field(default_factory=list)
    how_to_pay_note: str = ""     # shown under "How to pay" when no method is (e.g. "please contact us")

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown invoice status {self.status!r}; expected one of {STATUSES}")

