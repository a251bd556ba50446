"""A card payment refunded in part through services/billing/refunds.py against localstripe (the
real SDK over HTTP), then the charge.refunded webhook Stripe would send: still one refund
row, the balance as the service left it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import stripe
from sqlmodel import Session, select

from portal_app.db import get_engine
from portal_app.models import LedgerEntry, PaymentAttempt
from portal_app.services.billing.refunds import refund_payment
from portal_app.settings import reset_settings_cache
from tests.support.stripe import charge_refunded, invoice, pay, post_signed, state, wait_for


def test_a_partial_card_refund_then_the_webhook_books_nothing_more(db, db_url, shop, gateway, sdk, localstripe_url,
                                                                   monkeypatch):
    world, secret, url = shop
    monkeypatch.setenv("PORTAL_STRIPE_API_BASE", localstripe_url)  # the service builds its own gateway
    reset_settings_cache()
    inv = invoice(db, world, 5_000)
    _, pi = pay(db, gateway, sdk, world.ws_a, inv, 5_000)
    wait_for(db_url, inv, ("paid", 5_000, 0))
    payment = db.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id, LedgerEntry.kind == "payment")).one()

    done = refund_payment(db, world.staff_a, inv.public_id, payment.public_id, amount_minor=1_500,
                          reason="One session cancelled")
    db.commit()
    assert done.entry is not None and done.amount_minor == 1_500
    assert state(db_url, inv) == ("paid", 3_500, 1_500)

    refund_id = done.entry.dedupe_key.removeprefix("re:")
    made = stripe.StripeClient("sk_test_portal_localstripe", base_addresses={"api": localstripe_url}).v1.refunds \
        .retrieve(refund_id)
    attempt = db.exec(select(PaymentAttempt).where(PaymentAttempt.invoice_id == inv.id,
                                                   PaymentAttempt.kind == "refund")).one()
    assert (made.amount, made.payment_intent, made.metadata["attempt"]) == (1_500, pi.id, attempt.public_id)
    assert attempt.status == "succeeded"

    body = charge_refunded(sdk, made.charge)
    assert [r["id"] for r in json.loads(body)["data"]["object"]["refunds"]["data"]] == [refund_id]
    assert post_signed(url, body, secret) == {"received": True, "outcome": "0 refund(s) booked"}
    assert state(db_url, inv) == ("paid", 3_500, 1_500)
    with Session(get_engine(db_url)) as s:
        rows = s.exec(select(LedgerEntry.kind, LedgerEntry.amount_minor, LedgerEntry.dedupe_key,
                             LedgerEntry.refund_of_id).where(LedgerEntry.invoice_id == inv.id)
                      .order_by(LedgerEntry.id)).all()
    assert [tuple(r) for r in rows] == [("payment", 5_000, f"pi:{pi.id}", None),
                                        ("refund", 1_500, f"re:{refund_id}", payment.id)]
