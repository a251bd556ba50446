"""Refunds (services/billing/refunds.py) on SQLite and PostgreSQL: manual payments refunded in the
ledger, card payments through a Stripe double that behaves as real Stripe does (idempotency
keys replay the first answer; refunds carry metadata). The real localstripe run is in
tests/integration/test_refunds_stripe.py.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from portal_app.adapters.payments import PaymentsError, RefundInfo
from portal_app.db import get_engine
from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import AuditEvent, Invoice, LedgerEntry, OutboxMessage, PaymentAttempt, utcnow
from portal_app.services.billing import ledger, refunds, stripe_webhooks
from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice, void_invoice

LINES = [{"description": "Consulting", "quantity": "1", "unit_minor": 10_000, "tax_rate": "0"}]


class StripeDouble:
    """What the service needs of StripeGateway, with real Stripe's idempotency."""

    def __init__(self, fail: PaymentsError | None = None):
        self.fail = fail
        self.calls: list[dict] = []
        self.by_key: dict[str, RefundInfo] = {}
        self.made: list[RefundInfo] = []
        self.ids = itertools.count(1)
        self.seen_attempt_committed: list[str] = []

    def refund(self, payment_intent_id, amount, *, idempotency_key, metadata=None):
        self.calls.append({"pi": payment_intent_id, "amount": amount, "key": idempotency_key,
                           "metadata": dict(metadata or {})})
        # the attempt is in the database, committed, before Stripe hears of it
        with Session(get_engine()) as other:
            row = other.exec(select(PaymentAttempt).where(PaymentAttempt.public_id == idempotency_key)).first()
            self.seen_attempt_committed.append(row.status if row else "missing")
        if self.fail:
            raise self.fail
        if idempotency_key in self.by_key:
            return self.by_key[idempotency_key]
        refund = RefundInfo(id=f"re_double{next(self.ids)}", status="succeeded", amount=amount,
                            payment_intent=payment_intent_id, charge="ch_double",
                            metadata={str(k): str(v) for k, v in (metadata or {}).items()})
        self.by_key[idempotency_key] = refund
        self.made.append(refund)
        return refund

    def list_refunds(self, payment_intent_id):
        return [r for r in self.made if r.payment_intent == payment_intent_id]


def sent_invoice(db, world, total: int = 10_000) -> Invoice:
    lines = [{**LINES[0], "unit_minor": total}]
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=lines)
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def manual(db, world, inv: Invoice, amount: int = 4_000, method: str = "check") -> LedgerEntry:
    entry = record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=amount, method=method,
                                  reference="No. 1001")
    db.commit()
    return entry


def card(db, inv: Invoice, amount: int = 10_000, pi: str = "pi_double1") -> LedgerEntry:
    """A card payment as the payment_intent.succeeded webhook books it."""
    entry = ledger.book(db, inv, "payment", amount, dedupe_key=f"pi:{pi}", method="card",
                        stripe_payment_intent_id=pi, reference=pi)
    db.commit()
    return entry


def written(db) -> dict[str, int]:
    db.expire_all()
    return {m.__tablename__: db.exec(select(func.count()).select_from(m)).one()
            for m in (LedgerEntry, AuditEvent, OutboxMessage, PaymentAttempt)}


def figures(db, inv: Invoice) -> tuple:
    db.expire_all()
    got = db.get(Invoice, inv.id)
    return got.status, got.paid_minor, got.balance_minor


def refund_rows(db, inv: Invoice) -> list[tuple]:
    db.expire_all()
    return [tuple(r) for r in db.exec(select(LedgerEntry.amount_minor, LedgerEntry.method, LedgerEntry.refund_of_id,
                                             LedgerEntry.dedupe_key)
                                      .where(LedgerEntry.invoice_id == inv.id, LedgerEntry.kind == "refund")
                                      .order_by(LedgerEntry.id)).all()]


# --- manual payments -----------------------------------------------------------------------

def test_a_manual_payment_is_refunded_in_the_ledger(db, world):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv, 10_000, "bank_transfer")
    assert figures(db, inv) == ("paid", 10_000, 0)
    done = refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=2_500,
                                  reason="Session cancelled")
    db.commit()
    assert done.amount == "25.00 USD" and done.entry.kind == "refund"
    assert refund_rows(db, inv) == [(2_500, "bank_transfer", pay.id, None)]
    assert figures(db, inv) == ("paid", 7_500, 2_500)  # status stays; the balance goes back up
    events = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invoice.refunded")).all()
    assert len(events) == 1
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "invoice.refunded")).all()
    assert len(audit) == 1 and "Session cancelled" in audit[0].detail
    # the rest, in a second refund; then nothing remains
    refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=7_500)
    db.commit()
    assert figures(db, inv) == ("paid", 0, 10_000)
    with pytest.raises(Invalid, match="already refunded in full"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1)


def test_more_than_remains_refundable_is_refused_with_the_figure(db, world):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv, 4_000)
    other = manual(db, world, inv, 3_000, "cash")
    refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1_500)
    db.commit()
    before = written(db)
    with pytest.raises(Invalid, match=r"At most 25\.00 USD of this payment") as exc:
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=2_501)
    assert exc.value.field == "amount"
    db.rollback()
    assert written(db) == before
    # each payment has its own refundable amount: the cash one is untouched
    refunds.refund_payment(db, world.staff_a, inv.public_id, other.public_id, amount_minor=3_000)
    db.commit()
    assert refund_rows(db, inv) == [(1_500, "check", pay.id, None), (3_000, "cash", other.id, None)]


@pytest.mark.parametrize("amount", [0, -500, True, False, 10**15, "10", 12.5, None])
def test_bad_amounts_are_refused_and_nothing_is_written(db, world, amount):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv)
    before = written(db)
    with pytest.raises(Invalid) as exc:
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=amount)
    assert exc.value.field == "amount" and "Traceback" not in exc.value.message
    db.rollback()
    assert written(db) == before and figures(db, inv) == ("partially_paid", 4_000, 6_000)


def test_who_may_refund(db, world):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv)
    before = written(db)
    for actor, error in [(world.member_a, Forbidden), (world.client_a1, Forbidden), (world.anon, NotSignedIn),
                         (world.staff_b, NotFound), (world.client_b1, Forbidden)]:
        with pytest.raises(error):
            refunds.refund_payment(db, actor, inv.public_id, pay.public_id, amount_minor=1_000)
        db.rollback()
    assert written(db) == before


def test_unknown_or_foreign_payments_are_not_found(db, world):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv)
    other_inv = sent_invoice(db, world)
    other_pay = manual(db, world, other_inv, 1_000)
    refund = refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=500).entry
    db.commit()
    # workspace B's own invoice and payment, refunded by A's owner
    inv_b = create_invoice(db, world.staff_b, contact_public_id=world.contact_b1.public_id, lines=LINES)
    send_invoice(db, world.staff_b, inv_b.public_id)
    pay_b = record_manual_payment(db, world.staff_b, inv_b.public_id, amount_minor=1_000, method="cash")
    db.commit()
    before = written(db)
    for invoice_id, payment_id in [(inv.public_id, "pay_doesnotexist"), (inv.public_id, other_pay.public_id),
                                   (inv.public_id, refund.public_id), (inv.public_id, ""),
                                   ("in_doesnotexist", pay.public_id), (inv_b.public_id, pay_b.public_id),
                                   (inv.public_id, pay_b.public_id)]:
        with pytest.raises(NotFound):
            refunds.refund_payment(db, world.staff_a, invoice_id, payment_id, amount_minor=100)
        db.rollback()
    assert written(db) == before


def test_a_void_invoice_takes_no_refund(db, world):
    inv = sent_invoice(db, world)
    pay = manual(db, world, inv, 1_000)
    refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1_000)
    void_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    before = written(db)
    with pytest.raises(Invalid, match="void"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1)
    db.rollback()
    assert written(db) == before


# --- card payments through Stripe ----------------------------------------------------------

def test_a_card_payment_is_refunded_through_stripe(db, world):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    stripe = StripeDouble()
    done = refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=3_000,
                                  reason="Partly refunded", gateway=stripe)
    db.commit()
    call = stripe.calls[0]
    attempt = db.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund")).one()
    assert stripe.seen_attempt_committed == ["created"]       # written and committed before the call
    assert call == {"pi": "pi_double1", "amount": 3_000, "key": attempt.public_id,
                    "metadata": {"workspace": world.ws_a.public_id, "invoice": inv.public_id,
                                 "attempt": attempt.public_id}}
    assert (attempt.status, attempt.amount_minor, attempt.error) == ("succeeded", 3_000, "")
    assert refund_rows(db, inv) == [(3_000, "card", pay.id, "re:re_double1")]
    assert done.amount == "30.00 USD"
    assert figures(db, inv) == ("paid", 7_000, 3_000)
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.kind == "invoice.refunded")).all()) == 1


def test_the_charge_refunded_webhook_afterwards_books_nothing_more(db, world):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    stripe = StripeDouble()
    refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=3_000, gateway=stripe)
    db.commit()
    charge = {"id": "ch_double", "payment_intent": "pi_double1", "amount_refunded": 3_000,
              "refunds": {"data": [{"id": "re_double1", "amount": 3_000, "status": "succeeded"}]}}
    assert stripe_webhooks.APPLY["charge.refunded"](db, world.ws_a, charge) == "0 refund(s) booked"
    db.commit()
    assert refund_rows(db, inv) == [(3_000, "card", pay.id, "re:re_double1")]
    assert figures(db, inv) == ("paid", 7_000, 3_000)


def test_a_webhook_refund_is_linked_to_its_payment_and_counts(db, world):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    charge = {"id": "ch_x", "payment_intent": "pi_double1",
              "refunds": {"data": [{"id": "re_dash", "amount": 4_000, "status": "succeeded"}]}}
    stripe_webhooks.APPLY["charge.refunded"](db, world.ws_a, charge)  # refunded in Stripe's dashboard
    db.commit()
    assert refund_rows(db, inv) == [(4_000, "card", pay.id, "re:re_dash")]
    with pytest.raises(Invalid, match=r"At most 60\.00 USD"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=6_001,
                               gateway=StripeDouble())


def test_a_stripe_refusal_changes_no_balance(db, world):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    stripe = StripeDouble(fail=PaymentsError("Stripe refused the request.", "invalid_request",
                                             stripe_code="charge_already_refunded"))
    with pytest.raises(Invalid, match="Stripe did not refund the payment: Stripe refused the request."):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=3_000, gateway=stripe)
    db.rollback()  # as the unit of work does on the error
    attempt = db.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund")).one()
    assert (attempt.status, attempt.error) == ("failed", "Stripe refused the request.")
    assert refund_rows(db, inv) == [] and figures(db, inv) == ("paid", 10_000, 0)
    # a failed attempt reserves nothing: the whole payment is still refundable
    refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=10_000,
                           gateway=StripeDouble())
    db.commit()
    assert figures(db, inv) == ("paid", 0, 10_000)


def test_stripe_not_connected_is_refused_before_anything_is_written(db, world):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    before = written(db)
    with pytest.raises(Invalid, match="Stripe is not connected"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1_000)
    db.rollback()
    assert written(db) == before


def _crash_after_stripe(db, world, inv, pay, stripe, monkeypatch) -> PaymentAttempt:
    """Stripe refunds, then the process dies before the refund is booked."""
    real_book = ledger.book

    def dies(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(ledger, "book", dies)
    with pytest.raises(RuntimeError):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=2_000, gateway=stripe)
    db.rollback()
    monkeypatch.setattr(ledger, "book", real_book)
    return db.exec(select(PaymentAttempt).where(PaymentAttempt.kind == "refund")).one()


def test_retrying_the_same_attempt_does_not_refund_twice(db, world, monkeypatch):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    stripe = StripeDouble()
    attempt = _crash_after_stripe(db, world, inv, pay, stripe, monkeypatch)
    assert attempt.status == "created" and len(stripe.made) == 1 and refund_rows(db, inv) == []
    # while it is open, its amount is reserved: a second refund cannot take the same money
    with pytest.raises(Invalid, match=r"At most 80\.00 USD"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=10_000, gateway=stripe)
    db.rollback()
    # the retry finds the refund Stripe made for this attempt and books it; no second refund
    refunds.resume_refund(db, world.staff_a, attempt.public_id, gateway=stripe)
    db.commit()
    refunds.resume_refund(db, world.staff_a, attempt.public_id, gateway=stripe)  # done: Stripe is not asked
    db.commit()
    assert len(stripe.made) == 1 and len(stripe.calls) == 1
    assert refund_rows(db, inv) == [(2_000, "card", pay.id, "re:re_double1")]
    assert figures(db, inv) == ("paid", 8_000, 2_000)
    with pytest.raises(Forbidden):
        refunds.resume_refund(db, world.member_a, attempt.public_id, gateway=stripe)
    with pytest.raises(NotFound):
        refunds.resume_refund(db, world.staff_b, attempt.public_id, gateway=stripe)


def test_a_stale_attempt_is_finished_before_a_new_refund(db, world, monkeypatch):
    inv = sent_invoice(db, world)
    pay = card(db, inv)
    stripe = StripeDouble()
    attempt = _crash_after_stripe(db, world, inv, pay, stripe, monkeypatch)
    attempt.created_at = utcnow() - timedelta(minutes=10)
    db.add(attempt)
    db.commit()
    with pytest.raises(Invalid, match="earlier refund of this payment had not finished"):
        refunds.refund_payment(db, world.staff_a, inv.public_id, pay.public_id, amount_minor=1_000, gateway=stripe)
    db.rollback()
    # the earlier refund is booked (once); the new request was not sent to Stripe
    assert len(stripe.made) == 1 and refund_rows(db, inv) == [(2_000, "card", pay.id, "re:re_double1")]
    assert db.get(PaymentAttempt, attempt.id).status == "succeeded"
