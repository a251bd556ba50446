"""Card payments end to end against localstripe (a real HTTP Stripe stand-in, started by
stripe_fixtures.py) with the real stripe SDK, on SQLite and PostgreSQL.

The app's api/ routes (SecurityHeaders(build_api())) are served over a real socket by
granian, the server `reflex run --env prod` uses, embedded in a thread of the test process
(uvicorn is not installed here). localstripe signs its webhooks with the secret registered
for our endpoint, the same secret sealed in the workspace's Settings › Payments, and POSTs
them to /api/stripe/webhook/{workspace}; the test then watches the database as the page
would. localstripe sends no refund events: after a refund through StripeGateway the test
signs the charge.refunded event itself, from the charge localstripe now holds.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time

import httpx
import pytest
import stripe
from sqlmodel import Session, select

from portal_app.adapters.payments import PaymentsError, StripeGateway
from portal_app.api.routes import build_api
from portal_app.api.security_headers import SecurityHeaders
from portal_app.db import get_engine
from portal_app.models import Invoice, LedgerEntry, PaymentAttempt, StripeEvent
from portal_app.services.invoices import create_invoice, payments_settings, send_invoice
from portal_app.services.secret_box import seal
from portal_app.settings import reset_settings_cache
from tests.integration.stripe_fixtures import TEST_SECRET_KEY, free_port

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"  # see test_payments_gateway.py
WAIT = 15.0


@pytest.fixture
def app_url(db_url):
    """The api/ routes over HTTP on a free port, served by granian in a thread."""
    from granian.constants import Interfaces
    from granian.server.embed import Server

    port = free_port()
    server = Server(SecurityHeaders(build_api()), address="127.0.0.1", port=port, interface=Interfaces.ASGINL,
                    log_enabled=False)
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve())
        except BaseException as exc:  # noqa: BLE001
            failure.append(exc)

    thread = threading.Thread(target=run, name="granian-app", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if failure or time.monotonic() > deadline:
            pytest.fail(f"the app server did not start on {base}: {failure}")
        time.sleep(0.05)
    try:
        yield base
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(15)
        assert not thread.is_alive(), "the app server did not stop"
        loop.close()


@pytest.fixture
def shop(db, world, app_url, localstripe_url, monkeypatch):
    """Workspace A connected to localstripe: its webhook secret sealed at rest, and the same
    secret registered at localstripe for the workspace's webhook URL on our server."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", "integration-secret-key")
    reset_settings_cache()
    secret = "whsec_" + secrets.token_hex(16)
    settings = payments_settings(db, world.ws_a.id)
    settings.stripe_secret_sealed = seal(TEST_SECRET_KEY)
    settings.stripe_webhook_secret_sealed = seal(secret)
    db.commit()
    endpoint = f"{localstripe_url}/_config/webhooks/portal-flow-{secrets.token_hex(4)}"
    url = f"{app_url}/api/stripe/webhook/{world.ws_a.public_id}"
    r = httpx.post(endpoint, json={"url": url, "secret": secret,
                                   "events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
    assert r.status_code == 200, r.text
    try:
        yield world, secret, url
    finally:
        # localstripe keeps endpoints for its whole session: stop sending to this one
        httpx.post(endpoint, json={"url": url, "secret": secret, "events": []})


@pytest.fixture
def gateway(localstripe_url) -> StripeGateway:
    return StripeGateway(TEST_SECRET_KEY, localstripe_url)


@pytest.fixture
def sdk(localstripe_url) -> stripe.StripeClient:
    return stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe_url})


def card(sdk: stripe.StripeClient, number: str = VISA) -> str:
    """A card PaymentMethod, as Stripe.js makes one from the card form."""
    return sdk.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id


def invoice(db, world, total: int, currency: str = "USD") -> Invoice:
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, currency=currency,
                         lines=[{"description": "Retainer", "quantity": "1", "unit_minor": total, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def new_attempt(db, inv: Invoice, amount: int, kind: str = "payment") -> PaymentAttempt:
    """Written before the Stripe call; its public id is the call's idempotency key."""
    att = PaymentAttempt(workspace_id=inv.workspace_id, invoice_id=inv.id, contact_id=inv.contact_id, kind=kind,
                         amount_minor=amount, currency=inv.currency)
    db.add(att)
    db.commit()
    return att


def pay(db, gateway, sdk, ws, inv: Invoice, amount: int, number: str = VISA):
    att = new_attempt(db, inv, amount)
    pi = gateway.create_payment_intent(amount, inv.currency, idempotency_key=att.public_id, payment_method=card(sdk, number),
                                       confirm=True, metadata={"workspace": ws.public_id, "invoice": inv.public_id,
                                                               "attempt": att.public_id})
    return att, pi


def state(db_url: str, inv: Invoice) -> tuple:
    with Session(get_engine(db_url)) as s:
        got = s.get(Invoice, inv.id)
        return got.status, got.paid_minor, got.balance_minor


def wait_for(db_url: str, inv: Invoice, expected: tuple) -> float:
    """Polls the database as the invoice page would, until the webhook has landed."""
    start = time.monotonic()
    while True:
        got = state(db_url, inv)
        if got == expected:
            return time.monotonic() - start
        if time.monotonic() - start > WAIT:
            pytest.fail(f"invoice {inv.number} is {got}, not {expected}, {WAIT} s after paying")
        time.sleep(0.1)


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


def _charge_refunded(sdk: stripe.StripeClient, charge_id: str) -> bytes:
    """charge.refunded as Stripe would send it: the charge as it is now, refunds listed."""
    charge = sdk.v1.charges.retrieve(charge_id).to_dict()
    event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2024-06-20",
             "created": int(time.time()), "livemode": False, "type": "charge.refunded", "data": {"object": charge}}
    return json.dumps(event, indent=2).encode()


def _post_signed(url: str, body: bytes, secret: str) -> dict:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=int(time.time()))
    r = httpx.post(url, content=body, headers={"stripe-signature": header, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_refund_through_stripe_puts_the_balance_back_up(db, db_url, shop, gateway, sdk):
    world, secret, url = shop
    inv = invoice(db, world, 5_000)
    _, pi = pay(db, gateway, sdk, world.ws_a, inv, 5_000)
    wait_for(db_url, inv, ("paid", 5_000, 0))

    first = gateway.refund(pi.id, 2_000, idempotency_key=new_attempt(db, inv, 2_000, "refund").public_id)
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 2_000, pi.id)
    body = _charge_refunded(sdk, first.charge)
    assert json.loads(body)["data"]["object"]["payment_intent"] == pi.id
    assert _post_signed(url, body, secret) == {"received": True, "outcome": "1 refund(s) booked"}
    assert state(db_url, inv) == ("paid", 3_000, 2_000)  # status stays paid; the balance shows the refund

    rest = gateway.refund(pi.id, 3_000, idempotency_key=new_attempt(db, inv, 3_000, "refund").public_id)
    body = _charge_refunded(sdk, rest.charge)
    # both refunds are listed on the charge (localstripe lists them in no fixed order)
    assert sorted(r["id"] for r in json.loads(body)["data"]["object"]["refunds"]["data"]) == sorted([first.id, rest.id])
    assert _post_signed(url, body, secret) == {"received": True, "outcome": "1 refund(s) booked"}
    assert _post_signed(url, body, secret) == {"received": True, "outcome": "duplicate"}
    assert state(db_url, inv) == ("paid", 0, 5_000)
    with Session(get_engine(db_url)) as s:
        rows = s.exec(select(LedgerEntry.kind, LedgerEntry.amount_minor, LedgerEntry.dedupe_key)
                      .where(LedgerEntry.invoice_id == inv.id).order_by(LedgerEntry.id)).all()
    assert [tuple(r) for r in rows] == [("payment", 5_000, f"pi:{pi.id}"), ("refund", 2_000, f"re:{first.id}"),
                                        ("refund", 3_000, f"re:{rest.id}")]
