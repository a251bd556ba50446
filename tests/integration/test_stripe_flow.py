"""Card payments end to end against localstripe (a real HTTP Stripe stand-in, started by
tests/support/stripe.py) with the real stripe SDK, on SQLite and PostgreSQL.

The app's api/ routes (SecurityHeaders(build_api())) are served over a real socket by
granian, the server `reflex run --env prod` uses, embedded in a thread of the test process
(uvicorn is not installed here). localstripe signs its webhooks with the secret registered
for our endpoint, the same secret sealed in the workspace's Settings › Payments, and POSTs
them to /api/stripe/webhook/{workspace}; the test then watches the database as the page
would. localstripe sends no refund events: after a refund through StripeGateway the test
signs the charge.refunded event itself, from the charge localstripe now holds. The fixtures
(app_url, shop, gateway, sdk) are in tests/integration/conftest.py, shared with
test_card_payments.py and test_refunds_stripe.py.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import Session, select

from portal_app.adapters.payments import PaymentsError
from portal_app.db import get_engine
from portal_app.models import LedgerEntry, PaymentAttempt, StripeEvent
from tests.support.stripe import (
    DECLINED_AT_CHARGE,
    WAIT,
    card,
    charge_refunded,
    invoice,
    new_attempt,
    pay,
    post_signed,
    state,
    wait_for,
)


def test_a_card_payment_lands_by_webhook_and_the_invoice_is_paid(db, db_url, shop, gateway, sdk):
    world, _, _ = shop
    inv = invoice(db, world, 4_200)
    att, pi = pay(db, gateway, sdk, world.ws_a, inv, 4_200)
    assert (pi.status, pi.amount, pi.currency) == ("succeeded", 4_200, "usd")
    assert pi.metadata == {"workspace": world.ws_a.public_id, "invoice": inv.public_id, "attempt": att.public_id}

    wait_for(db_url, inv, ("paid", 4_200, 0))
    with Session(get_engine(db_url)) as s:
        [entry] = s.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id)).all()
        assert (entry.kind, entry.method, entry.amount_minor, entry.stripe_payment_intent_id, entry.dedupe_key) == (
            "payment", "card", 4_200, pi.id, f"pi:{pi.id}")
        got = s.get(PaymentAttempt, att.id)
        assert (got.status, got.stripe_payment_intent_id) == ("succeeded", pi.id)
        events = s.exec(select(StripeEvent).where(StripeEvent.workspace_id == world.ws_a.id)).all()
        assert [(e.type, e.outcome) for e in events] == [("payment_intent.succeeded", "booked")]
        assert events[0].event_id.startswith("evt_")


def test_a_partial_payment_then_the_rest(db, db_url, shop, gateway, sdk):
    world, _, _ = shop
    inv = invoice(db, world, 10_000, currency="EUR")
    pay(db, gateway, sdk, world.ws_a, inv, 3_000)
    wait_for(db_url, inv, ("partially_paid", 3_000, 7_000))
    pay(db, gateway, sdk, world.ws_a, inv, 7_000)
    wait_for(db_url, inv, ("paid", 10_000, 0))
    with Session(get_engine(db_url)) as s:
        amounts = s.exec(select(LedgerEntry.amount_minor).where(LedgerEntry.invoice_id == inv.id)
                         .order_by(LedgerEntry.id)).all()
    assert amounts == [3_000, 7_000]


def test_a_declined_card_changes_nothing_but_the_attempt(db, db_url, shop, gateway, sdk):
    world, _, _ = shop
    inv = invoice(db, world, 2_500)
    att = new_attempt(db, inv, 2_500)
    with pytest.raises(PaymentsError) as caught:
        gateway.create_payment_intent(2_500, "usd", idempotency_key=att.public_id,
                                      payment_method=card(sdk, DECLINED_AT_CHARGE), confirm=True,
                                      metadata={"workspace": world.ws_a.public_id, "invoice": inv.public_id,
                                                "attempt": att.public_id})
    assert caught.value.message == "Your card was declined."
    deadline = time.monotonic() + WAIT
    while True:  # localstripe delivers payment_intent.payment_failed about a second later
        with Session(get_engine(db_url)) as s:
            got = s.get(PaymentAttempt, att.id)
        if got.status == "failed":
            break
        assert time.monotonic() < deadline, f"the attempt is still {got.status!r}"
        time.sleep(0.1)
    assert got.error == "Your card was declined."
    assert state(db_url, inv) == ("sent", 0, 2_500)


def test_a_refund_through_stripe_puts_the_balance_back_up(db, db_url, shop, gateway, sdk):
    world, secret, url = shop
    inv = invoice(db, world, 5_000)
    _, pi = pay(db, gateway, sdk, world.ws_a, inv, 5_000)
    wait_for(db_url, inv, ("paid", 5_000, 0))

    first = gateway.refund(pi.id, 2_000, idempotency_key=new_attempt(db, inv, 2_000, "refund").public_id)
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 2_000, pi.id)
    body = charge_refunded(sdk, first.charge)
    assert json.loads(body)["data"]["object"]["payment_intent"] == pi.id
    assert post_signed(url, body, secret) == {"received": True, "outcome": "1 refund(s) booked"}
    assert state(db_url, inv) == ("paid", 3_000, 2_000)  # status stays paid; the balance shows the refund

    rest = gateway.refund(pi.id, 3_000, idempotency_key=new_attempt(db, inv, 3_000, "refund").public_id)
    body = charge_refunded(sdk, rest.charge)
    # both refunds are listed on the charge (localstripe lists them in no fixed order)
    assert sorted(r["id"] for r in json.loads(body)["data"]["object"]["refunds"]["data"]) == sorted([first.id, rest.id])
    assert post_signed(url, body, secret) == {"received": True, "outcome": "1 refund(s) booked"}
    assert post_signed(url, body, secret) == {"received": True, "outcome": "duplicate"}
    assert state(db_url, inv) == ("paid", 0, 5_000)
    with Session(get_engine(db_url)) as s:
        rows = s.exec(select(LedgerEntry.kind, LedgerEntry.amount_minor, LedgerEntry.dedupe_key)
                      .where(LedgerEntry.invoice_id == inv.id).order_by(LedgerEntry.id)).all()
    assert [tuple(r) for r in rows] == [("payment", 5_000, f"pi:{pi.id}"), ("refund", 2_000, f"re:{first.id}"),
                                        ("refund", 3_000, f"re:{rest.id}")]
