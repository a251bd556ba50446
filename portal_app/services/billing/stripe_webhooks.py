"""Stripe webhooks: verify, record the event once, apply its effect in the same transaction.

A duplicate event (same id) changes nothing; an event whose metadata names another
workspace, or an invoice that is not this workspace's, is refused and nothing is written;
an unknown event type is acknowledged and logged.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import Session, select

from portal_app.adapters.payments import PaymentsError, verify_webhook
from portal_app.db import savepoint
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.models import Invoice, LedgerEntry, PaymentAttempt, StripeEvent, Workspace, WorkspacePayments, utcnow
from portal_app.services import events
from portal_app.services.billing import ledger
from portal_app.services.secret_box import SecretUnavailable, unseal

log = logging.getLogger("portal.stripe")
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
           "charge.dispute.created", "charge.dispute.closed")


def handle_webhook(db: Session, workspace_public_id: str, payload: bytes, signature: str | None) -> str:
    """Returns what was done ("booked", "duplicate", "ignored", …); raises NotFound (no such
    workspace), Invalid (signature/payload) or Forbidden (names another workspace)."""
    ws = db.exec(select(Workspace).where(Workspace.public_id == str(workspace_public_id))).first()
    if ws is None:
        raise NotFound("No such workspace.")
    settings = db.get(WorkspacePayments, ws.id)  # read only: a refused request writes nothing
    try:
        secret = unseal(settings.stripe_webhook_secret_sealed if settings else "")
    except SecretUnavailable as exc:
        raise Invalid(exc.message, "no_secret") from None
    try:
        event = verify_webhook(payload, signature, secret)
    except PaymentsError as exc:
        raise Invalid(exc.message, exc.code) from None
    event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
    if not event_id:
        raise Invalid("The event has no id.", "bad_payload")
    if db.exec(select(StripeEvent.id).where(StripeEvent.workspace_id == ws.id,
                                            StripeEvent.event_id == event_id)).first() is not None:
        return "duplicate"
    record = StripeEvent(workspace_id=ws.id, event_id=event_id, type=kind[:80])
    try:
        with savepoint(db):
            db.add(record)
            db.flush()
    except sa.exc.IntegrityError:
        return "duplicate"  # the same event, delivered twice at once: the other one applies it
    obj = (event.get("data") or {}).get("object") or {}
    if kind not in HANDLED:
        log.info("stripe event %s of type %s acknowledged, not handled", event_id, kind)
        outcome = "ignored"
    else:
        outcome = APPLY[kind](db, ws, obj)
    record.outcome = outcome[:200]
    db.add(record)
    return outcome


def _invoice_from_metadata(db: Session, ws: Workspace, obj: dict) -> Invoice:
    meta = obj.get("metadata") or {}
    if meta.get("workspace") and meta.get("workspace") != ws.public_id:
        raise Forbidden("This event belongs to another workspace.")
    inv = db.exec(select(Invoice).where(Invoice.workspace_id == ws.id,
                                        Invoice.public_id == str(meta.get("invoice", "")))).first()
    if inv is None:
        raise Forbidden("This event names an invoice that is not this workspace's.")
    return inv


def _invoice_of_intent(db: Session, ws: Workspace, payment_intent_id: str | None) -> Invoice | None:
    if not payment_intent_id:
        return None
    inv_id = db.exec(select(LedgerEntry.invoice_id).where(LedgerEntry.workspace_id == ws.id,
                                                          LedgerEntry.stripe_payment_intent_id == payment_intent_id)).first()
    return db.get(Invoice, inv_id) if inv_id else None


def _attempt(db: Session, ws: Workspace, obj: dict) -> PaymentAttempt | None:
    attempt_id = (obj.get("metadata") or {}).get("attempt")
    q = select(PaymentAttempt).where(PaymentAttempt.workspace_id == ws.id)
    if attempt_id:
        return db.exec(q.where(PaymentAttempt.public_id == str(attempt_id))).first()
    return db.exec(q.where(PaymentAttempt.stripe_payment_intent_id == str(obj.get("id", "")))).first()


def _succeeded(db: Session, ws: Workspace, obj: dict) -> str:
    inv = _invoice_from_metadata(db, ws, obj)
    if str(obj.get("currency", "")).upper() != inv.currency:
        raise Forbidden("The payment's currency is not the invoice's.")
    amount = int(obj.get("amount_received") or obj.get("amount") or 0)
    if amount <= 0:
        return "no amount"
    entry = ledger.book(db, inv, "payment", amount, dedupe_key=f"pi:{obj['id']}", method="card",
                        stripe_payment_intent_id=str(obj["id"]), reference=str(obj["id"]))
    attempt = _attempt(db, ws, obj)
    if attempt is not None:
        attempt.status, attempt.stripe_payment_intent_id, attempt.updated_at = "succeeded", str(obj["id"]), utcnow()
        db.add(attempt)
    if entry is None:
        return "already booked"
    event = events.InvoicePaid if inv.status == "paid" else events.InvoicePaymentReceived
    events.raise_event(db, event(workspace_id=ws.id, invoice=inv.public_id, number=inv.number,
                                 paid=inv.paid_minor, balance=inv.balance_minor, overpaid=inv.overpaid))
    return "booked"


def _failed(db: Session, ws: Workspace, obj: dict) -> str:
    _invoice_from_metadata(db, ws, obj)
    attempt = _attempt(db, ws, obj)
    if attempt is not None and attempt.status != "succeeded":
        error = (obj.get("last_payment_error") or {}).get("message") or "The payment failed."
        attempt.status, attempt.error, attempt.updated_at = "failed", str(error)[:500], utcnow()
        attempt.declined_at = attempt.declined_at or attempt.updated_at  # the bank said no (e.g. after 3-D Secure)
        attempt.stripe_payment_intent_id = str(obj.get("id", "")) or attempt.stripe_payment_intent_id
        db.add(attempt)
    return "payment failed"


def _refunded(db: Session, ws: Workspace, charge: dict) -> str:
    pi = charge.get("payment_intent")
    pi = pi.get("id") if isinstance(pi, dict) else pi
    inv = _invoice_of_intent(db, ws, pi)
    if inv is None:
        inv = _invoice_from_metadata(db, ws, charge)
    # Hold the invoice before reading what is already refunded: two events of one charge
    # applied at once must not both book from the same starting point.
    ledger.lock(db, inv)
    payment_id = ledger.payment_of_intent(db, ws.id, pi)
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    booked = 0
    for refund in refunds:
        if refund.get("status") in ("succeeded", "pending") and int(refund.get("amount") or 0) > 0:
            if ledger.book(db, inv, "refund", int(refund["amount"]), dedupe_key=f"re:{refund['id']}",
                           stripe_payment_intent_id=pi, reference=str(refund["id"]),
                           refund_of_id=payment_id) is not None:
                booked += 1
    if not refunds and int(charge.get("amount_refunded") or 0) > 0:
        # no refund list: book what is refunded beyond what the ledger already holds
        already = sum(e.amount_minor for e in db.exec(select(LedgerEntry).where(
            LedgerEntry.invoice_id == inv.id, LedgerEntry.kind == "refund",
            LedgerEntry.stripe_payment_intent_id == pi)).all())
        delta = int(charge["amount_refunded"]) - already
        if delta > 0 and ledger.book(db, inv, "refund", delta, stripe_payment_intent_id=pi, refund_of_id=payment_id,
                                     dedupe_key=f"rt:{charge.get('id')}:{charge['amount_refunded']}") is not None:
            booked += 1
    if booked:
        events.raise_event(db, events.InvoiceRefunded(workspace_id=ws.id, invoice=inv.public_id,
                                                      number=inv.number, balance=inv.balance_minor))
    return f"{booked} refund(s) booked"


def _dispute(db: Session, ws: Workspace, dispute: dict, *, closed: bool) -> str:
    pi = dispute.get("payment_intent")
    inv = _invoice_of_intent(db, ws, pi) or _invoice_from_metadata(db, ws, dispute)
    amount = int(dispute.get("amount") or 0)
    if amount <= 0:
        return "no amount"
    if not closed:
        entry = ledger.book(db, inv, "dispute", amount, dedupe_key=f"dp:{dispute['id']}",
                            stripe_payment_intent_id=pi, reference=str(dispute["id"]))
        if entry is not None:
            events.raise_event(db, events.InvoiceDisputed(workspace_id=ws.id, invoice=inv.public_id, amount=amount))
        return "dispute booked" if entry else "already booked"
    if dispute.get("status") == "won":
        entry = ledger.book(db, inv, "dispute_won", amount, dedupe_key=f"dpw:{dispute['id']}",
                            stripe_payment_intent_id=pi, reference=str(dispute["id"]))
        return "dispute won" if entry else "already booked"
    return f"dispute closed: {dispute.get('status', '')}"


APPLY = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed,
    "charge.refunded": _refunded,
    "charge.dispute.created": lambda db, ws, obj: _dispute(db, ws, obj, closed=False),
    "charge.dispute.closed": lambda db, ws, obj: _dispute(db, ws, obj, closed=True),
}
