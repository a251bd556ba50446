"""The payment ledger: booking money movements exactly once, and deriving an invoice's paid
amount, balance and status from its rows (never incremented in place).

Status moves only forward: draft → sent → partially_paid → paid; void is final and only
reachable while nothing is paid. A refund or a lost dispute after payment does not move
the status back; it shows in the ledger and the balance. Overdue is derived from the due
date (`Invoice.is_overdue`), never stored. An overpayment is flagged on the invoice for staff.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.db import savepoint
from portal_app.models import Invoice, LedgerEntry, utcnow
from portal_app.models.billing import STATUS_ORDER

SIGN = {"payment": 1, "refund": -1, "dispute": -1, "dispute_won": 1}


def book(db: Session, invoice: Invoice, kind: str, amount_minor: int, *, dedupe_key: str | None,
         method: str = "card", stripe_payment_intent_id: str | None = None, reference: str = "",
         note: str = "", created_by_user_id: int | None = None,
         received_at: datetime | None = None, refund_of_id: int | None = None) -> LedgerEntry | None:
    """Add one movement unless its dedupe key is already booked (then None). The insert runs
    in a savepoint, so a concurrent duplicate loses cleanly without spoiling the caller's
    transaction."""
    if kind not in SIGN:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError("a ledger amount is a positive integer; the kind gives its direction")
    lock(db, invoice)
    if dedupe_key is not None:
        exists = db.exec(select(LedgerEntry.id).where(LedgerEntry.workspace_id == invoice.workspace_id,
                                                      LedgerEntry.dedupe_key == dedupe_key)).first()
        if exists is not None:
            return None
    entry = LedgerEntry(workspace_id=invoice.workspace_id, invoice_id=invoice.id, kind=kind, method=method,
                        amount_minor=amount_minor, currency=invoice.currency, dedupe_key=dedupe_key,
                        stripe_payment_intent_id=stripe_payment_intent_id, reference=reference, note=note,
                        created_by_user_id=created_by_user_id, received_at=received_at or utcnow(),
                        refund_of_id=refund_of_id)
    try:
        with savepoint(db):
            db.add(entry)
            db.flush()
    except sa.exc.IntegrityError:
        return None  # another request booked the same movement a moment ago
    settle(db, invoice)
    return entry


def payment_of_intent(db: Session, workspace_id: int, payment_intent_id: str | None) -> int | None:
    """The id of the payment row booked for a Stripe PaymentIntent (what its refunds refund)."""
    if not payment_intent_id:
        return None
    return db.exec(select(LedgerEntry.id).where(LedgerEntry.workspace_id == workspace_id,
                                                LedgerEntry.kind == "payment",
                                                LedgerEntry.stripe_payment_intent_id == payment_intent_id)
                   .order_by(col(LedgerEntry.id))).first()


def refunded_of(db: Session, payment_id: int) -> int:
    """What is already refunded of one payment row."""
    return int(db.exec(select(sa.func.coalesce(sa.func.sum(col(LedgerEntry.amount_minor)), 0))
                       .where(LedgerEntry.refund_of_id == payment_id, LedgerEntry.kind == "refund")).one())


def lock(db: Session, invoice: Invoice) -> Invoice:
    """Re-read the invoice and, on PostgreSQL, hold its row until commit, so movements on one
    invoice apply one after another (SQLite has a single writer anyway). Taken *before* a
    ledger row is inserted: that insert's foreign key takes a KEY SHARE lock on the invoice,
    and two transactions each holding one while asking FOR UPDATE would deadlock."""
    db.refresh(invoice, with_for_update=db.get_bind().dialect.name == "postgresql")
    return invoice


def _sums(db: Session, invoice_id: int) -> dict[str, int]:
    rows = db.exec(select(LedgerEntry.kind, sa.func.coalesce(sa.func.sum(col(LedgerEntry.amount_minor)), 0))
                   .where(LedgerEntry.invoice_id == invoice_id).group_by(LedgerEntry.kind)).all()
    return {kind: int(total) for kind, total in rows}


def paid_amount(db: Session, invoice_id: int) -> int:
    """Net money kept: payments − refunds − disputes (+ disputes won)."""
    return sum(SIGN[kind] * total for kind, total in _sums(db, invoice_id).items())


def settle(db: Session, invoice: Invoice) -> Invoice:
    """Derive paid, balance, overpaid and status from the ledger."""
    db.refresh(invoice, with_for_update=db.get_bind().dialect.name == "postgresql")
    sums = _sums(db, invoice.id)
    paid = sum(SIGN[kind] * total for kind, total in sums.items())
    # The status follows what the client paid (gross payments), which only grows: it does
    # not depend on the order Stripe delivers payments and refunds in. Refunds and disputes
    # show in the ledger and the balance.
    gross = sums.get("payment", 0)
    invoice.paid_minor = paid
    invoice.balance_minor = invoice.total_minor - paid
    invoice.overpaid = paid > invoice.total_minor
    if invoice.status != "void":
        derived = "paid" if gross >= invoice.total_minor and invoice.total_minor > 0 else (
            "partially_paid" if gross > 0 else invoice.status)
        if STATUS_ORDER.get(derived, 0) > STATUS_ORDER.get(invoice.status, 0):
            invoice.status = derived
            if derived == "paid" and invoice.paid_at is None:
                invoice.paid_at = utcnow()
    invoice.updated_at = utcnow()
    db.add(invoice)
    db.flush()
    return invoice
