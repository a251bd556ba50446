"""Pay Now (services/billing/card_payments.py) against localstripe, on SQLite and PostgreSQL: the
card token Stripe.js would make → pay_invoice → localstripe's signed webhook at
the app's route → the invoice is paid. Refusals write no attempt (or record the bank's
reason on it) and never touch the ledger."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from portal_app.db import get_engine
from portal_app.errors import Forbidden, Invalid, NotFound
from portal_app.models import LedgerEntry, PaymentAttempt
from portal_app.services.billing import card_payments
from portal_app.services.billing.invoices import payments_settings
from portal_app.settings import reset_settings_cache
from tests.support.stripe import invoice, state, wait_for

VISA = "4242424242424242"
DECLINED = "4000000000000002"      # refused by the bank when the card is saved
NEEDS_3DS = "4000002500003155"


@pytest.fixture
def payable(shop, db, localstripe_url, monkeypatch):
    """Workspace A connected (publishable key too) and the app pointed at localstripe."""
    world, _secret, _url = shop
    monkeypatch.setenv("PORTAL_STRIPE_API_BASE", localstripe_url)
    reset_settings_cache()
    row = payments_settings(db, world.ws_a.id)
    row.stripe_publishable_key = "pk_test_portal_localstripe"
    db.commit()
    return world


def token(sdk, number: str = VISA) -> str:
    """What Stripe.js's createToken makes of the card form."""
    return sdk.v1.tokens.create({"card": {"number": number, "exp_month": "12", "exp_year": "2031",
                                          "cvc": "123"}}).id


def attempts(db_url, inv) -> list[tuple]:
    with Session(get_engine(db_url)) as s:
        return [tuple(r) for r in s.exec(select(PaymentAttempt.status, PaymentAttempt.amount_minor,
                                                PaymentAttempt.error)
                                         .where(PaymentAttempt.invoice_id == inv.id)
                                         .order_by(PaymentAttempt.id)).all()]


def ledger_rows(db_url, inv) -> int:
    with Session(get_engine(db_url)) as s:
        return len(s.exec(select(LedgerEntry.id).where(LedgerEntry.invoice_id == inv.id)).all())


def test_pay_now_pays_the_balance_when_the_webhook_lands(db, db_url, payable, sdk):
    world = payable
    inv = invoice(db, world, 12_500)
    co = card_payments.checkout(db, world.client_a1, inv.public_id)
    assert (co.available, co.balance, co.allow_partial, co.publishable_key) == (
        True, "125.00 USD", False, "pk_test_portal_localstripe")
    started = card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="1.00",
                                               card_token=token(sdk))
    # without partial payments the balance is charged, whatever the form said
    assert (started.status, started.amount, started.client_secret) == ("processing", "125.00 USD", "")
    assert card_payments.payment_on_its_way(db, world.client_a1, inv.public_id)
    wait_for(db_url, inv, ("paid", 12_500, 0))
    assert attempts(db_url, inv) == [("succeeded", 12_500, "")]
    assert ledger_rows(db_url, inv) == 1
    db.expire_all()
    assert not card_payments.payment_on_its_way(db, world.client_a1, inv.public_id)
    assert card_payments.checkout(db, world.client_a1, inv.public_id).available is False


def test_a_declined_card_shows_the_banks_reason_and_changes_nothing(db, db_url, payable, sdk):
    world = payable
    inv = invoice(db, world, 5_000)
    with pytest.raises(Invalid) as caught:
        card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk, DECLINED))
    assert caught.value.message == "Your card was declined."
    assert attempts(db_url, inv) == [("failed", 5_000, "Your card was declined.")]
    assert state(db_url, inv) == ("sent", 0, 5_000)
    assert ledger_rows(db_url, inv) == 0
    db.expire_all()
    assert card_payments.last_failure(db, world.client_a1, inv.public_id) == "Your card was declined."
    # the failure does not block the next try
    card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk))
    wait_for(db_url, inv, ("paid", 5_000, 0))


def test_partial_payment_then_the_rest(db, db_url, payable, sdk):
    world = payable
    row = payments_settings(db, world.ws_a.id)
    row.allow_partial, row.min_partial_minor = True, 1_000
    db.commit()
    inv = invoice(db, world, 5_000)
    co = card_payments.checkout(db, world.client_a1, inv.public_id)
    assert (co.allow_partial, co.minimum, co.balance_plain) == (True, "10.00 USD", "50.00")
    for bad, message in [("9.99", "The smallest payment accepted is 10.00 USD."),
                         ("50.01", "That is more than the 50.00 USD left to pay."),
                         ("-5", "Amount cannot be negative."), ("ten", "Amount must be a number like 1250.00."),
                         ("10.001", "Amount can have at most 2 decimals in USD.")]:
        with pytest.raises(Invalid) as caught:
            card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount=bad, card_token=token(sdk))
        assert caught.value.message == message, bad
    assert attempts(db_url, inv) == []  # refused before anything was written
    card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="20.00", card_token=token(sdk))
    wait_for(db_url, inv, ("partially_paid", 2_000, 3_000))
    db.expire_all()
    # what is left (30.00) is above the minimum; once less than the minimum is left, that is the minimum
    card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="25.00", card_token=token(sdk))
    wait_for(db_url, inv, ("partially_paid", 4_500, 500))
    db.expire_all()
    assert card_payments.checkout(db, world.client_a1, inv.public_id).minimum == "5.00 USD"
    card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="5.00", card_token=token(sdk))
    wait_for(db_url, inv, ("paid", 5_000, 0))
    assert ledger_rows(db_url, inv) == 3


def test_a_second_payment_while_one_is_on_its_way_is_refused(db, db_url, payable, sdk, monkeypatch):
    world = payable
    inv = invoice(db, world, 5_000)
    # hold the first attempt "on its way" (as if Stripe had not answered yet)
    db.add(PaymentAttempt(workspace_id=inv.workspace_id, invoice_id=inv.id, contact_id=inv.contact_id,
                          amount_minor=5_000, currency="USD", status="processing"))
    db.commit()
    with pytest.raises(Invalid) as caught:
        card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk))
    assert "already on its way" in caught.value.message
    assert [a[0] for a in attempts(db_url, inv)] == ["processing"]


def test_a_card_that_needs_3d_secure_hands_its_secret_to_stripe_js(db, db_url, payable, sdk):
    world = payable
    inv = invoice(db, world, 5_000)
    started = card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="",
                                               card_token=token(sdk, NEEDS_3DS))
    assert started.status == "requires_action" and started.client_secret.startswith("pi_")
    assert attempts(db_url, inv) == [("requires_action", 5_000, "")]
    assert state(db_url, inv) == ("sent", 0, 5_000)


def test_only_the_invoices_own_client_may_pay_it(db, db_url, payable, sdk):
    world = payable
    inv = invoice(db, world, 5_000)
    for actor, error in [(world.client_a2, NotFound), (world.client_b1, NotFound), (world.staff_a, Forbidden)]:
        with pytest.raises(error):
            card_payments.pay_invoice(db, actor, inv.public_id, amount="", card_token=token(sdk))
    for bad_token in ["", "pm_123", "tok_<script>", None, 12, "tok_" + "a" * 300]:
        with pytest.raises(Invalid) as caught:
            card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=bad_token)
        assert caught.value.message == "Your card details could not be read. Please enter them again."
    with pytest.raises(NotFound):
        card_payments.pay_invoice(db, world.client_a1, "in_doesnotexist", amount="", card_token=token(sdk))
    assert attempts(db_url, inv) == []


def test_without_stripe_there_is_no_pay_now_and_a_short_explanation(db, world):
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                         lines=[{"description": "Work", "quantity": "1", "unit_minor": 5_000, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    co = card_payments.checkout(db, world.client_a1, inv.public_id)
    assert (co.available, co.publishable_key, co.reason) == (False, "", card_payments.UNAVAILABLE)
    with pytest.raises(Invalid) as caught:
        card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token="tok_abc")
    assert caught.value.message == card_payments.UNAVAILABLE


def test_declines_pause_pay_now_for_that_client_until_the_window_passes(db, db_url, payable, sdk, monkeypatch):
    """Card testing: after PORTAL_CARD_MAX_DECLINES declines reported by Stripe within the
    window, Pay Now refuses (before asking Stripe) with a human message, for that client
    only, until the window has passed (the clock is injected)."""
    from datetime import timedelta

    monkeypatch.setenv("PORTAL_CARD_MAX_DECLINES", "3")
    monkeypatch.setenv("PORTAL_CARD_DECLINE_WINDOW_MINUTES", "60")
    reset_settings_cache()
    world = payable
    inv = invoice(db, world, 5_000)
    for _ in range(3):
        with pytest.raises(Invalid) as caught:
            card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="",
                                             card_token=token(sdk, DECLINED))
        assert caught.value.message == "Your card was declined."
    with Session(get_engine(db_url)) as s:  # the window runs from the oldest of the 3 declines
        first = min(s.exec(select(PaymentAttempt.declined_at).where(PaymentAttempt.invoice_id == inv.id)).all())
    window_ends = first + timedelta(minutes=60)
    with pytest.raises(Invalid) as caught:  # even a good card: the pause is per client, not per card
        card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk),
                                         now=first)
    assert "Pay Now is paused" in caught.value.message and "UTC" in caught.value.message
    assert [a[0] for a in attempts(db_url, inv)] == ["failed"] * 3  # Stripe was not asked a 4th time
    # another invoice of the same client is paused too, to the window's last moment
    other = invoice(db, world, 3_000)
    with pytest.raises(Invalid):
        card_payments.pay_invoice(db, world.client_a1, other.public_id, amount="", card_token=token(sdk),
                                         now=window_ends - timedelta(microseconds=1))
    # once the window has passed, the client may pay again
    done = card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="",
                                            card_token=token(sdk), now=window_ends)
    assert done.status == "processing"
    wait_for(db_url, inv, ("paid", 5_000, 0))


def test_outages_are_not_declines(db, db_url, payable, sdk, monkeypatch):
    """Only the bank's refusals count: Stripe unreachable is not the client's fault."""
    from portal_app.adapters import payments as payments_adapter
    from portal_app.adapters.payments import PaymentsError

    monkeypatch.setenv("PORTAL_CARD_MAX_DECLINES", "1")
    reset_settings_cache()
    world = payable
    inv = invoice(db, world, 5_000)

    class Down:
        def save_card(self, *a, **k):
            raise PaymentsError("Could not reach Stripe.", "connection")

    monkeypatch.setattr(card_payments, "make_gateway", lambda secret: Down())
    for _ in range(2):
        with pytest.raises(Invalid):
            card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk))
    monkeypatch.setattr(card_payments, "make_gateway", payments_adapter.make_gateway)
    card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="", card_token=token(sdk))
    wait_for(db_url, inv, ("paid", 5_000, 0))
