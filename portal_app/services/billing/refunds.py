"""Refunds, staff side: give back part or all of one payment of an invoice.

A manual payment (cash, check, bank transfer, other) is refunded by booking a refund row
against it, with the payment's method. A card payment is refunded through Stripe:

1. a PaymentAttempt(kind="refund") is written and COMMITTED before the call; its public id
   is the call's idempotency key and goes into the refund's metadata;
2. Stripe is asked to refund;
3. the refund row is booked with dedupe key "re:<refund id>", the key the charge.refunded
   webhook uses, so the webhook arriving later (or first) books nothing more;
4. the attempt is marked succeeded, or failed with Stripe's human message (a refusal by
   Stripe changes no balance).

An attempt left "created" (the process died between 1 and 4) is finished by
`resume_refund`: it first looks at Stripe for a refund carrying the attempt's id (real Stripe
also replays the idempotency key; localstripe does not), so a retry never refunds twice.
While such an attempt is open its amount counts as refunded, so two refunds at once cannot
both give back the same money.

The invoice's status stays as it is (it only moves forward); the balance goes back up
(ledger.settle derives it). Every refund is audited and sent to the outbox as
"invoice.refunded".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app import limits
from portal_app.access import Actor, Staff, require_refund_payments
from portal_app.adapters.payments import PaymentsError, RefundInfo, make_gateway
from portal_app.errors import Invalid, NotFound
from portal_app.models import Invoice, LedgerEntry, PaymentAttempt, Workspace, utcnow
from portal_app.services import audit, events
from portal_app.services.billing import ledger
from portal_app.services.billing.invoices import MAX_TOTAL_MINOR, get_invoice, payments_settings
from portal_app.services.billing.money import format_amount
from portal_app.services.secret_box import SecretUnavailable, unseal
from portal_app.services.validation import clean_text

# An attempt older than this has no request still waiting on Stripe (timeouts and retries
# end well before): it is resumed rather than waited for.
STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class RefundDone:
    entry: LedgerEntry | None     # the refund row (None when the webhook had booked it first)
    amount_minor: int
    currency: str

    @property
    def amount(self) -> str:
        return format_amount(self.amount_minor, self.currency)


def _payment(db: Session, inv: Invoice, payment_public_id: str) -> LedgerEntry:
    entry = db.exec(select(LedgerEntry).where(LedgerEntry.workspace_id == inv.workspace_id,
                                              LedgerEntry.invoice_id == inv.id,
                                              LedgerEntry.public_id == str(payment_public_id or ""),
                                              LedgerEntry.kind == "payment")).first()
    if entry is None:
        raise NotFound("This payment does not exist.")
    return entry


def _open_attempts(db: Session, inv: Invoice, payment: LedgerEntry) -> list[PaymentAttempt]:
    if not payment.stripe_payment_intent_id:
        return []
    return list(db.exec(select(PaymentAttempt).where(
        PaymentAttempt.workspace_id == inv.workspace_id, PaymentAttempt.invoice_id == inv.id,
        PaymentAttempt.kind == "refund", PaymentAttempt.status == "created",
        PaymentAttempt.stripe_payment_intent_id == payment.stripe_payment_intent_id)).all())


def refundable(db: Session, inv: Invoice, payment: LedgerEntry) -> int:
    """What may still be refunded of one payment: its amount minus the refunds booked against
    it and those under way at Stripe."""
    pending = sum(a.amount_minor for a in _open_attempts(db, inv, payment))
    return max(0, payment.amount_minor - ledger.refunded_of(db, payment.id) - pending)


def _check_amount(amount_minor: object) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise Invalid("Enter the amount to refund.", "amount")
    if amount_minor <= 0:
        raise Invalid("The amount must be more than zero.", "amount")
    if amount_minor > MAX_TOTAL_MINOR:
        raise Invalid("The amount is too large.", "amount")
    return amount_minor


def _gateway_for(db: Session, workspace_id: int, gateway):
    if gateway is not None:
        return gateway
    try:
        secret = unseal(payments_settings(db, workspace_id).stripe_secret_sealed)
    except SecretUnavailable as exc:
        raise Invalid(exc.message) from None
    if not secret:
        raise Invalid("Stripe is not connected, so a card payment cannot be refunded from here. "
                      "Connect Stripe under Settings › Payments.")
    try:
        return make_gateway(secret)
    except PaymentsError as exc:
        raise Invalid(exc.message) from None


def _booked(db: Session, staff: Staff | None, inv: Invoice, payment: LedgerEntry, entry: LedgerEntry | None,
            amount: int, reason: str, via: str) -> None:
    audit.record(db, inv.workspace_id, staff, "invoice.refunded", "invoice", inv.public_id,
                 {"payment": payment.public_id, "amount": amount, "method": payment.method, "via": via,
                  "reason": reason})
    if entry is not None:  # (a webhook that booked it first sent its own event)
        events.raise_event(db, events.InvoiceRefunded(workspace_id=inv.workspace_id, invoice=inv.public_id,
                                                      number=inv.number, amount=amount,
                                                      balance=inv.balance_minor))


def refund_payment(db: Session, actor: Actor, invoice_public_id: str, payment_public_id: str, *,
                   amount_minor: int, reason: str = "", gateway=None) -> RefundDone:
    """Refund `amount_minor` of one payment of a sent invoice. Refusals write nothing."""
    staff = require_refund_payments(actor)
    inv = get_invoice(db, staff.workspace_id, invoice_public_id)
    payment = _payment(db, inv, payment_public_id)
    reason = clean_text(reason, "reason", "Reason", limits.REFUND_REASON)
    amount = _check_amount(amount_minor)
    if not inv.takes_payments:
        raise Invalid("A draft or void invoice takes no refunds.")
    ledger.lock(db, inv)  # one movement on this invoice at a time, from here to commit
    stale = [a for a in _open_attempts(db, inv, payment) if a.created_at < utcnow() - STALE_AFTER]
    if stale:
        # an earlier refund never got its answer: finish it, and let the person look again
        # rather than refund a second time what may be the same request
        for attempt in stale:
            resume_refund(db, staff, attempt.public_id, gateway=gateway)
        db.commit()  # what was finished stays booked; this request is refused below
        raise Invalid("An earlier refund of this payment had not finished; it is settled now. "
                      "Check the payments below before refunding more.")
    left = refundable(db, inv, payment)
    if left <= 0:
        raise Invalid("This payment is already refunded in full.", "amount")
    if amount > left:
        raise Invalid(f"At most {format_amount(left, inv.currency)} of this payment can be refunded.", "amount")
    if not payment.stripe_payment_intent_id:
        entry = ledger.book(db, inv, "refund", amount, dedupe_key=None, method=payment.method, note=reason,
                            created_by_user_id=staff.user_id, refund_of_id=payment.id)
        _booked(db, staff, inv, payment, entry, amount, reason, "manual")
        return RefundDone(entry, amount, inv.currency)

    gateway = _gateway_for(db, inv.workspace_id, gateway)  # refused before anything is written
    attempt = PaymentAttempt(workspace_id=inv.workspace_id, invoice_id=inv.id, contact_id=inv.contact_id,
                             kind="refund", amount_minor=amount, currency=inv.currency,
                             stripe_payment_intent_id=payment.stripe_payment_intent_id)
    db.add(attempt)
    db.commit()  # the key exists before Stripe hears of it (and the invoice lock is let go)
    return _call_and_book(db, staff, inv.id, attempt, gateway, reason, look_first=False)


def resume_refund(db: Session, actor: Actor, attempt_public_id: str, *, gateway=None) -> RefundDone:
    """Finish a refund attempt whose outcome was never recorded. A finished one is answered
    from the database, without asking Stripe again."""
    staff = require_refund_payments(actor)
    attempt = db.exec(select(PaymentAttempt).where(PaymentAttempt.workspace_id == staff.workspace_id,
                                                   PaymentAttempt.kind == "refund",
                                                   PaymentAttempt.public_id == str(attempt_public_id or ""))
                      ).first()
    if attempt is None:
        raise NotFound("This refund does not exist.")
    if attempt.status == "succeeded":
        return RefundDone(None, attempt.amount_minor, attempt.currency)
    if attempt.status != "created":
        raise Invalid(attempt.error or "This refund failed; nothing was refunded.")
    gateway = _gateway_for(db, staff.workspace_id, gateway)
    return _call_and_book(db, staff, attempt.invoice_id, attempt, gateway, "", look_first=True)


def _call_and_book(db: Session, staff: Staff, invoice_id: int, attempt: PaymentAttempt, gateway, reason: str, *,
                   look_first: bool) -> RefundDone:
    pi = attempt.stripe_payment_intent_id
    if pi is None:  # a refund attempt is always made against a card payment's PaymentIntent
        raise Invalid("This refund has no Stripe payment to refund.")
    inv = db.get_one(Invoice, invoice_id)
    ws = db.get_one(Workspace, inv.workspace_id)
    try:
        refund = _find_made(gateway, pi, attempt.public_id) if look_first else None
        if refund is None:
            refund = gateway.refund(pi, attempt.amount_minor, idempotency_key=attempt.public_id,
                                    metadata={"workspace": ws.public_id, "invoice": inv.public_id,
                                              "attempt": attempt.public_id})
    except PaymentsError as exc:
        _fail(db, attempt, exc.message)
        raise Invalid(f"Stripe did not refund the payment: {exc.message}") from None
    if refund.status not in ("succeeded", "pending"):
        _fail(db, attempt, "Stripe could not refund this payment.")
        raise Invalid("Stripe could not refund this payment. Nothing was refunded.")
    amount = refund.amount or attempt.amount_minor
    ledger.lock(db, inv)
    payment = db.get_one(LedgerEntry, ledger.payment_of_intent(db, inv.workspace_id, pi))
    entry = ledger.book(db, inv, "refund", amount, dedupe_key=f"re:{refund.id}", method="card",
                        stripe_payment_intent_id=pi, reference=refund.id, note=reason,
                        created_by_user_id=staff.user_id, refund_of_id=payment.id)
    attempt.status, attempt.updated_at = "succeeded", utcnow()
    db.add(attempt)
    _booked(db, staff, inv, payment, entry, amount, reason, "stripe")
    return RefundDone(entry, amount, inv.currency)


def _find_made(gateway, pi: str, attempt_id: str) -> RefundInfo | None:
    for refund in gateway.list_refunds(pi):
        if refund.metadata.get("attempt") == attempt_id:
            return refund
    return None


def _fail(db: Session, attempt: PaymentAttempt, message: str) -> None:
    """Record the refusal for good (the caller's transaction is rolled back on the error)."""
    db.rollback()
    attempt = db.get_one(PaymentAttempt, attempt.id)
    attempt.status, attempt.error, attempt.updated_at = "failed", message[:500], utcnow()
    db.add(attempt)
    db.commit()


def refund_summary(db: Session, inv: Invoice, entries: Sequence[LedgerEntry]) -> dict[int, int]:
    """payment row id -> what remains refundable, for the rows of one invoice already loaded
    (one query for the attempts under way, however many payments there are)."""
    intents = [e.stripe_payment_intent_id for e in entries if e.kind == "payment" and e.stripe_payment_intent_id]
    pending: dict[str, int] = {}
    if intents:
        rows = db.exec(select(PaymentAttempt.stripe_payment_intent_id, sa.func.sum(col(PaymentAttempt.amount_minor)))
                       .where(PaymentAttempt.invoice_id == inv.id, PaymentAttempt.kind == "refund",
                              PaymentAttempt.status == "created",
                              col(PaymentAttempt.stripe_payment_intent_id).in_(intents))
                       .group_by(PaymentAttempt.stripe_payment_intent_id)).all()
        pending = {pi: int(total) for pi, total in rows if pi is not None}
    refunded: dict[int, int] = {}
    for e in entries:
        if e.kind == "refund" and e.refund_of_id is not None:
            refunded[e.refund_of_id] = refunded.get(e.refund_of_id, 0) + e.amount_minor
    return {e.id: max(0, e.amount_minor - refunded.get(e.id, 0) - pending.get(e.stripe_payment_intent_id or "", 0))
            for e in entries if e.kind == "payment"}
