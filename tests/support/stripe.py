"""localstripe, the Stripe API stand-in, as a real HTTP server for the integration tests.

`run_localstripe()` starts `python -m localstripe --port N --from-scratch` in a subprocess on
a free loopback port, waits until it answers, yields its base URL (give it to StripeGateway
as api_base, or set PORTAL_STRIPE_API_BASE) and stops it at the end. The session fixture
`localstripe_url` (tests/conftest.py) runs it once per test session, for the integration and
the e2e tests.

Under CI (CI=true or PORTAL_REQUIRE_SERVICES=1) a localstripe that does not start fails the
tests that need it; on a laptop they are skipped with the reason.

What to know about localstripe 1.15.10:
- It accepts any secret key that starts with `sk_` and is longer than 5 characters.
- It keeps state in memory and also pickles it to the fixed path /tmp/localstripe.pickle on
  every write (`--from-scratch` only stops it from loading that file at start).
- Webhook endpoints are registered with `POST /_config/webhooks/{id}` (JSON or form fields
  `url`, `secret`, optional `events` list); they live in memory and receive every later
  matching event of the process, about one second after the event.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import httpx
import pytest
import stripe
from sqlmodel import Session

from portal_app.db import get_engine
from portal_app.models import Invoice, PaymentAttempt
from portal_app.services.billing.invoices import create_invoice, send_invoice
from tests.support.services import REQUIRE_SERVICES, free_port

STARTUP_SECONDS = 30
TEST_SECRET_KEY = "sk_test_portal_localstripe"


def _answers(base: str) -> bool:
    try:  # the fake Stripe.js needs no key: a 200 means the app is up and routing
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"localstripe did not start: {reason}; CI needs it")
    pytest.skip(f"localstripe did not start: {reason}")


@contextlib.contextmanager
def run_localstripe():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # the server writes to it until it stops; closed and removed in the finally below
    log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except OSError as e:
        log.close()
        _unavailable(str(e))
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(base):
            if proc.poll() is not None:
                log.flush()
                with open(log.name, errors="replace") as f:
                    tail = f.read()[-2000:]
                _unavailable(f"it exited with {proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                _unavailable(f"no answer on {base} within {STARTUP_SECONDS} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


# --- card payments as the app makes them (test_stripe_flow.py, test_card_payments.py, test_refunds_stripe.py)

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"  # see test_payments_gateway.py
WAIT = 15.0


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
    pi = gateway.create_payment_intent(amount, inv.currency, idempotency_key=att.public_id,
                                       payment_method=card(sdk, number), confirm=True,
                                       metadata={"workspace": ws.public_id, "invoice": inv.public_id,
                                                 "attempt": att.public_id})
    return att, pi


def state(db_url: str, inv: Invoice) -> tuple:
    with Session(get_engine(db_url)) as s:
        got = s.get(Invoice, inv.id)
        return got.status, got.paid_minor, got.balance_minor


def wait_for(db_url: str, inv: Invoice, expected: tuple) -> float:
    """Polls the database as the invoice page would, until the webhook has landed. WAIT only
    bounds a hang; it times nothing."""
    start = time.monotonic()
    while True:
        got = state(db_url, inv)
        if got == expected:
            return time.monotonic() - start
        if time.monotonic() - start > WAIT:
            pytest.fail(f"invoice {inv.number} is {got}, not {expected}, {WAIT} s after paying")
        time.sleep(0.1)


def charge_refunded(sdk: stripe.StripeClient, charge_id: str) -> bytes:
    """charge.refunded as Stripe would send it: the charge as it is now, refunds listed."""
    charge = sdk.v1.charges.retrieve(charge_id).to_dict()
    event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2024-06-20",
             "created": int(time.time()), "livemode": False, "type": "charge.refunded", "data": {"object": charge}}
    return json.dumps(event, indent=2).encode()


def post_signed(url: str, body: bytes, secret: str) -> dict:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=int(time.time()))
    r = httpx.post(url, content=body, headers={"stripe-signature": header, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()
