"""The demo's test payments for real (services/billing/demo_payments.py): in demo mode, with no
Stripe key, `start_test_mode` starts the app's own localstripe child on a loopback port, registers
the workspace's webhook there and configures the workspace; a card token made by that stand-in
pays an invoice, its signed webhook reaches the app's route (served by granian, `app_url`) and
marks the invoice paid. 4000 0000 0000 0002 is declined with the bank's message. The stand-in
stops when the test mode stops. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import stripe
from sqlmodel import select

from portal_app.adapters import local_stripe
from portal_app.errors import Invalid, NotFound
from portal_app.models import Workspace
from portal_app.services.billing import card_payments, demo_payments
from portal_app.settings import reset_settings_cache
from tests.support.stripe import invoice, state, wait_for

VISA, DECLINED = "4242424242424242", "4000000000000002"


@pytest.fixture
def demo_mode(db, world, app_url, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_BASE_URL", app_url)
    monkeypatch.setenv("PORTAL_SECRET_KEY", "integration-secret-key")
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    reset_settings_cache()
    ws = db.exec(select(Workspace).where(Workspace.id == world.ws_a.id)).one()
    ws.base_url = app_url  # where the webhook is sent: the app served by this test
    db.commit()
    stand_in = demo_payments.start_test_mode()
    assert stand_in is not None, "the demo's stand-in did not start"
    try:
        yield world, stand_in
    finally:
        demo_payments.stop_test_mode()
    assert stand_in.proc is not None and stand_in.proc.poll() is not None, "the stand-in outlived the test mode"


def _token(stand_in, number: str) -> str:
    """What its Stripe.js makes of the card form (publishable key, as the browser has it)."""
    sdk = stripe.StripeClient(local_stripe.DEMO_PUBLISHABLE_KEY.replace("pk_", "sk_"),
                              base_addresses={"api": stand_in.url})
    return sdk.v1.tokens.create({"card": {"number": number, "exp_month": "12", "exp_year": "2031",
                                          "cvc": "123"}}).id


def test_the_demo_stand_in_takes_a_payment_and_its_webhook_marks_the_invoice_paid(db, db_url, demo_mode):
    world, stand_in = demo_mode
    assert stand_in.url.startswith("http://127.0.0.1:")
    db.expire_all()
    inv = invoice(db, world, 48_000)
    co = card_payments.checkout(db, world.client_a1, inv.public_id)
    assert (co.available, co.test_mode, co.js_url) == (True, True, stand_in.js_url)

    # another client of the workspace cannot pay it (not even in test mode)
    with pytest.raises(NotFound):
        card_payments.pay_invoice(db, world.client_a2, inv.public_id, amount="", card_token=_token(stand_in, VISA))

    # the decline card: the bank's message, nothing paid
    with pytest.raises(Invalid) as caught:
        card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="",
                                  card_token=_token(stand_in, DECLINED))
    assert caught.value.message == "Your card was declined."
    assert state(db_url, inv) == ("sent", 0, 48_000)

    started = card_payments.pay_invoice(db, world.client_a1, inv.public_id, amount="",
                                        card_token=_token(stand_in, VISA))
    assert started.status == "processing"
    wait_for(db_url, inv, ("paid", 48_000, 0))


def test_the_stand_in_exits_when_the_app_is_killed(tmp_path):
    """No orphan: an app killed outright (SIGKILL, no clean-up) takes its stand-in with it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.support.browser import ROOT

    script = ("import os, sys\n"
              "from portal_app.adapters import local_stripe\n"
              "s = local_stripe.start_process()\n"
              "print(s.proc.pid, s.url, flush=True)\n"
              "sys.stdin.read()\n")
    app = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    try:
        assert app.stdout is not None
        pid_text, url = app.stdout.readline().split()
        pid = int(pid_text)
        os.kill(pid, 0)  # it runs
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            # an exited child of a dead parent is reaped by init; until then it may linger as a zombie
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split(") ", 1)[1].startswith("Z"):
                        break
            except FileNotFoundError:
                break
            assert time.monotonic() < deadline, f"the stand-in at {url} outlived the app"
            time.sleep(0.2)
    finally:
        if app.poll() is None:
            app.kill()
