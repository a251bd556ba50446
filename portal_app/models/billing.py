"""Invoices, their lines, the payment ledger, payment attempts and Stripe events.

Money is integer minor units + an ISO currency. An invoice's paid amount and balance are
derived from its ledger rows (payments, refunds, disputes), never incremented in place;
the invoice row keeps the last derived figures for listing.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from portal_app import limits
from portal_app.models.base import new_public_id, one_of, ts_column, utcnow

# Invoice statuses, stored. Status moves only forward along STATUS_ORDER (services/billing/ledger.py);
# void is final. The rules that read them are the Invoice methods below, each with the SQL
# clause that selects the same rows (tests/unit/test_status_rules.py holds them equal).
INVOICE_STATUSES = ("draft", "sent", "partially_paid", "paid", "void")
STATUS_ORDER = {"draft": 0, "sent": 1, "partially_paid": 2, "paid": 3}
OPEN_INVOICE_STATUSES = ("sent", "partially_paid")   # issued, not settled
# Shown, never stored: an invoice still to be paid after its due date (`Invoice.shown_status`).
OVERDUE = "overdue"
INVOICE_SHOWN_STATUSES = (*INVOICE_STATUSES, OVERDUE)
LEDGER_KINDS = ("payment", "refund", "dispute", "dispute_won")
PAYMENT_METHODS = ("card", "cash", "check", "bank_transfer", "other")


def _money(nullable: bool = False) -> sa.Column:
    return sa.Column(sa.BigInteger, nullable=nullable, server_default="0")


class WorkspacePayments(SQLModel, table=True):
    """A workspace's invoicing settings and its Stripe account (secrets sealed at rest)."""

    __tablename__ = "workspace_payments"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    invoice_prefix: str = Field(default="INV-", max_length=20)
    next_invoice_number: int = Field(default=1)
    default_currency: str = Field(default="USD", max_length=3)
    allow_partial: bool = Field(default=False)
    # an accepted (signed) estimate becomes an invoice: "draft" for staff to check, or "sent" at once
    estimate_invoice: str = Field(default="draft", max_length=10, sa_column_kwargs={"server_default": "draft"})
    min_partial_minor: int = Field(default=0, sa_column=_money())
    # days from issue to due for invoices made without a due date (an accepted estimate's)
    default_terms_days: int = Field(default=14, sa_column_kwargs={"server_default": "14"})
    stripe_publishable_key: str = Field(default="", max_length=255)
    stripe_secret_sealed: str = Field(default="", max_length=1000)
    stripe_webhook_secret_sealed: str = Field(default="", max_length=1000)
    stripe_connected_at: datetime | None = Field(default=None, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PaymentInstructions(SQLModel, table=True):
    """A workspace's business details for its invoices (address, email, phone, tax id) and
    the ways to pay other than a card through Stripe, each offered or not. No row: nothing
    entered yet (every field empty, nothing offered). Limits: services/billing/payment_instructions.py."""

    __tablename__ = "payment_instructions"

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True)
    legal_name: str = Field(default="", max_length=limits.LEGAL_NAME)
    address: str = Field(default="", max_length=limits.POSTAL_ADDRESS)  # several lines
    email: str = Field(default="", max_length=limits.EMAIL)
    phone: str = Field(default="", max_length=limits.PHONE)
    tax_id: str = Field(default="", max_length=limits.TAX_ID)
    bank_offered: bool = Field(default=False)
    bank_holder: str = Field(default="", max_length=limits.BANK_HOLDER)
    bank_name: str = Field(default="", max_length=limits.BANK_NAME)
    bank_account: str = Field(default="", max_length=limits.BANK_ACCOUNT)  # an IBAN (checked) or an account number
    bank_code: str = Field(default="", max_length=limits.BANK_CODE)  # BIC/SWIFT, routing number or sort code
    bank_reference: str = Field(default="", max_length=limits.BANK_REFERENCE)  # "Use the invoice number as reference"
    cheque_offered: bool = Field(default=False)
    cheque_payable_to: str = Field(default="", max_length=limits.CHEQUE_PAYABLE_TO)
    cheque_address: str = Field(default="", max_length=limits.CHEQUE_ADDRESS)
    other_offered: bool = Field(default=False)
    other_text: str = Field(default="", max_length=limits.OTHER_INSTRUCTIONS)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "number", name="uq_invoice_ws_number"),
        sa.Index("ix_invoice_ws_status_due", "workspace_id", "status", "due_date"),
        sa.Index("ix_invoice_ws_contact_status", "workspace_id", "contact_id", "status"),
        sa.Index("ix_invoice_ws_due", "workspace_id", "due_date"),
        # the staff list's order (newest first) without sorting the whole workspace
        sa.Index("ix_invoice_ws_issue", "workspace_id", "issue_date", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("in"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    number: str = Field(max_length=40)
    status: str = Field(default="draft", max_length=20, index=True)
    currency: str = Field(default="USD", max_length=3)
    issue_date: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    due_date: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    discount_percent: str = Field(default="", max_length=12)     # Decimal as text, "" = none
    discount_fixed_minor: int = Field(default=0, sa_column=_money())
    notes: str = Field(default="", max_length=5000)
    terms: str = Field(default="", max_length=5000)
    subtotal_minor: int = Field(default=0, sa_column=_money())
    discount_minor: int = Field(default=0, sa_column=_money())
    tax_minor: int = Field(default=0, sa_column=_money())
    total_minor: int = Field(default=0, sa_column=_money())
    paid_minor: int = Field(default=0, sa_column=_money())        # derived from the ledger
    balance_minor: int = Field(default=0, sa_column=_money())     # derived: total − paid
    overpaid: bool = Field(default=False)
    sent_at: datetime | None = Field(default=None, sa_column=ts_column())
    first_viewed_at: datetime | None = Field(default=None, sa_column=ts_column())
    paid_at: datetime | None = Field(default=None, sa_column=ts_column())
    voided_at: datetime | None = Field(default=None, sa_column=ts_column())
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    # --- status rules: each property, and the clause selecting the same rows in a query

    @property
    def is_issued(self) -> bool:
        """Sent to its client at some point (anything but a draft): what the client may see."""
        return self.status != "draft"

    @classmethod
    def issued_clause(cls):
        return col(cls.status) != "draft"

    @property
    def takes_payments(self) -> bool:
        """Issued and not void: payments may be recorded and refunded (a paid invoice too)."""
        return self.status not in ("draft", "void")

    @property
    def is_payable(self) -> bool:
        """Issued, not settled, and something is left to pay (Pay Now, the outstanding sums)."""
        return self.status in OPEN_INVOICE_STATUSES and self.balance_minor > 0

    @classmethod
    def payable_clause(cls):
        return sa.and_(one_of(col(cls.status), OPEN_INVOICE_STATUSES), col(cls.balance_minor) > 0)

    def is_overdue(self, today: date | None = None) -> bool:
        """Payable after its due date. Due today is not overdue yet; `today` is the UTC date."""
        return self.is_payable and self.due_date < (today or utcnow().date())

    @classmethod
    def overdue_clause(cls, today: date | sa.BindParameter[date]):
        return sa.and_(cls.payable_clause(), col(cls.due_date) < today)

    def shown_status(self, today: date | None = None) -> str:
        """The status the pages and the PDF show: the stored one, or "overdue"."""
        return OVERDUE if self.is_overdue(today) else self.status

    @classmethod
    def shown_status_clause(cls, today: date | sa.BindParameter[date]):
        """`shown_status` as a column: a page that reads plain rows selects it."""
        return sa.case((cls.overdue_clause(today), OVERDUE), else_=col(cls.status))


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int = Field(default=0)
    description: str = Field(max_length=2000)
    quantity: str = Field(max_length=20)        # Decimal as text: exact, portable
    unit_minor: int = Field(sa_column=_money())
    tax_rate: str = Field(default="0", max_length=12)
    amount_minor: int = Field(default=0, sa_column=_money())


class LedgerEntry(SQLModel, table=True):
    """One money movement on an invoice. `dedupe_key` names its outside identity (a Stripe
    PaymentIntent, refund or dispute) so the same movement can never be booked twice."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "dedupe_key", name="uq_ledger_ws_dedupe"),
    )

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("pay"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    kind: str = Field(max_length=20)
    method: str = Field(default="card", max_length=20)
    amount_minor: int = Field(sa_column=_money())   # positive; the kind says which way it goes
    currency: str = Field(max_length=3)
    dedupe_key: str | None = Field(default=None, max_length=120)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=80, index=True)
    # a refund row names the payment row it gives money back from (what remains refundable
    # of a payment is its amount minus the refunds pointing at it)
    refund_of_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("ledger_entry.id", name="fk_ledger_entry_refund_of_id"), nullable=True, index=True))
    reference: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=1000)
    received_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PaymentAttempt(SQLModel, table=True):
    """Written before any Stripe call; its public id is the call's idempotency key, so a
    retry after a crash asks Stripe for the same PaymentIntent instead of a second one."""

    __tablename__ = "payment_attempt"

    id: int = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=lambda: new_public_id("att"), unique=True, max_length=40)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(default="payment", max_length=20)    # payment | refund
    amount_minor: int = Field(sa_column=_money())
    currency: str = Field(max_length=3)
    status: str = Field(default="created", max_length=30)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=80, index=True)
    error: str = Field(default="", max_length=500)
    # when Stripe reported the card declined (not set for our own or Stripe's outages):
    # Pay Now counts a client's recent declines (services/billing/card_payments.py)
    declined_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class StripeEvent(SQLModel, table=True):
    """Every webhook event applied, once: the unique key makes a duplicate a no-op."""

    __tablename__ = "stripe_event"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "event_id", name="uq_stripe_event_ws_event"),)

    id: int = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    event_id: str = Field(max_length=80)
    type: str = Field(max_length=80)
    outcome: str = Field(default="", max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
