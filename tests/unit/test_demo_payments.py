"""The demo's test payments (services/billing/demo_payments.py): when the app starts the local
Stripe stand-in, what it configures, and what the pages say when it could not start. The
process starter is injected: no process runs here (tests/integration/test_demo_payments_live.py
runs the real one)."""

from __future__ import annotations

import pytest

from portal_app.adapters import local_stripe
from portal_app.adapters.local_stripe import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, LocalStripe, LocalStripeError
from portal_app.adapters.payments import PaymentsError, make_gateway
from portal_app.api.security_headers import csp
from portal_app.services.billing import card_payments, demo_payments
from portal_app.services.billing.invoices import create_invoice, payments_settings, send_invoice
from portal_app.services.billing.payment_settings import payments_view, save_stripe_keys
from portal_app.services.secret_box import seal, unseal
from portal_app.settings import reset_settings_cache


class FakeStandIn(LocalStripe):
    def __init__(self):
        super().__init__("http://127.0.0.1:47999", None)
        self.webhooks: list[tuple[str, str, str]] = []
        self.stopped = False

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        self.webhooks.append((name, url, secret))

    def stop(self) -> None:
        self.stopped = True


class Starter:
    def __init__(self, fails: bool = False):
        self.calls, self.fails, self.started = 0, fails, FakeStandIn()

    def __call__(self) -> LocalStripe:
        self.calls += 1
        if self.fails:
            raise LocalStripeError("it exited with status 1")
        return self.started


@pytest.fixture
def demo(monkeypatch, world):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_BASE_URL", "http://localhost:3000")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "unit-secret-key")
    reset_settings_cache()
    yield world
    demo_payments.stop_test_mode()


def _invoice(db, world):
    inv = create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, currency="USD",
                         lines=[{"description": "Work", "quantity": "1", "unit_minor": 12_000, "tax_rate": "0"}])
    send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def test_demo_without_a_key_starts_the_stand_in_and_configures_the_workspace(db, demo):
    world, starter = demo, Starter()
    started = demo_payments.start_test_mode(starter)
    assert starter.calls == 1 and started is starter.started and local_stripe.active() is started
    db.expire_all()
    row = payments_settings(db, world.ws_a.id)
    [(name, url, whsec)] = starter.started.webhooks
    assert name == f"demo-{world.ws_a.public_id}"
    assert url == f"{world.ws_a.base_url}/api/stripe/webhook/{world.ws_a.public_id}"
    assert whsec.startswith("whsec_") and unseal(row.stripe_webhook_secret_sealed) == whsec
    assert (row.stripe_publishable_key, unseal(row.stripe_secret_sealed)) == (DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY)
    # the demo key goes to the stand-in, its Stripe.js is the page's, the CSP lets the page load it
    assert make_gateway(DEMO_SECRET_KEY).api_base == started.url
    co = card_payments.checkout(db, world.client_a1, _invoice(db, world).public_id)
    assert (co.available, co.test_mode, co.js_url, co.publishable_key) == (
        True, True, started.js_url, DEMO_PUBLISHABLE_KEY)
    assert f"script-src 'self' 'nonce-n' https://js.stripe.com {started.url};" in csp("n").decode()
    assert payments_view(db, world.staff_a)["test_mode"] is True
    assert demo_payments.workspace_in_test_mode(db, world.ws_a.id)
    assert demo_payments.demo_workspace_in_test_mode(db)  # what `cli seed` prints
    # the app stops: so does the stand-in
    demo_payments.stop_test_mode()
    assert starter.started.stopped and local_stripe.active() is None
    assert started.url not in csp("n").decode()


def test_demo_off_never_starts_it(db, world, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "0")
    reset_settings_cache()
    starter = Starter()
    assert demo_payments.start_test_mode(starter) is None
    assert starter.calls == 0 and local_stripe.active() is None
    assert not demo_payments.workspace_in_test_mode(db, world.ws_a.id)


def test_a_real_key_never_starts_it_and_never_reaches_the_stand_in(db, demo, monkeypatch):
    world = demo
    save_stripe_keys(db, world.staff_a, publishable_key="pk_test_realaccount123", secret_key="sk_test_realaccount123",
                     webhook_secret="whsec_realaccount123")
    db.commit()
    starter = Starter()
    assert demo_payments.start_test_mode(starter) is None
    assert starter.calls == 0 and local_stripe.active() is None
    # even with a stand-in running (e.g. another workspace's), a real key goes to the configured Stripe
    local_stripe.set_active(FakeStandIn())
    assert make_gateway("sk_test_realaccount123").api_base == "http://127.0.0.1:9"
    co = card_payments.checkout(db, world.client_a1, _invoice(db, world).public_id)
    assert (co.test_mode, co.js_url) == (False, "https://js.stripe.com/v3/")
    assert not demo_payments.workspace_in_test_mode(db, world.ws_a.id)
    assert not demo_payments.demo_workspace_in_test_mode(db)
    assert payments_view(db, world.staff_a)["test_mode"] is False


def test_connecting_a_real_account_turns_test_mode_off(db, demo):
    world = demo
    demo_payments.start_test_mode(Starter())
    assert demo_payments.workspace_in_test_mode(db, world.ws_a.id)
    save_stripe_keys(db, world.staff_a, publishable_key="pk_live_realaccount123", secret_key="sk_live_realaccount123",
                     webhook_secret="whsec_realaccount123")
    db.commit()
    assert not demo_payments.workspace_in_test_mode(db, world.ws_a.id)
    assert demo_payments.start_test_mode(Starter()) is None  # nor at the next start


def test_an_unreadable_stored_key_counts_as_real(db, demo, monkeypatch):
    world = demo
    row = payments_settings(db, world.ws_a.id)
    row.stripe_secret_sealed = seal("sk_test_someone_elses_key")
    db.commit()
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-different-key-now")
    reset_settings_cache()
    starter = Starter()
    assert demo_payments.start_test_mode(starter) is None and starter.calls == 0


def test_several_server_processes_do_not_start_one_each(db, demo, monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/9")
    reset_settings_cache()
    starter = Starter()
    assert demo_payments.start_test_mode(starter) is None and starter.calls == 0


def test_a_stand_in_that_cannot_start_leaves_the_app_up_and_the_page_says_so(db, demo, caplog):
    world, starter = demo, Starter(fails=True)
    assert demo_payments.start_test_mode(starter) is None  # no exception: the app starts anyway
    assert starter.calls == 1 and local_stripe.active() is None
    assert "did not start (it exited with status 1)" in caplog.text
    co = card_payments.checkout(db, world.client_a1, _invoice(db, world).public_id)
    assert (co.available, co.test_mode, co.reason) == (False, True, demo_payments.UNAVAILABLE)
    assert "unavailable in this demo" in co.reason and "Traceback" not in co.reason


def test_the_demo_key_left_from_an_earlier_run_is_not_used_while_the_stand_in_is_down(db, demo):
    world = demo
    demo_payments.start_test_mode(Starter())
    demo_payments.stop_test_mode()  # the keys stay stored; the next start failed
    inv = _invoice(db, world)
    co = card_payments.checkout(db, world.client_a1, inv.public_id)
    assert (co.available, co.reason) == (False, demo_payments.UNAVAILABLE)
    with pytest.raises(PaymentsError) as err:
        make_gateway(DEMO_SECRET_KEY)  # never the real Stripe with the demo's key
    assert err.value.code == "connection"


def test_a_failing_webhook_registration_stops_the_stand_in(db, demo):
    class Broken(FakeStandIn):
        def register_webhook(self, name, url, secret):
            raise LocalStripeError("registering the webhook failed: HTTP 500")

    broken = Broken()
    assert demo_payments.start_test_mode(lambda: broken) is None
    assert broken.stopped and local_stripe.active() is None
    assert unseal(payments_settings(db, demo.ws_a.id).stripe_secret_sealed) == ""


def test_replacing_the_demo_keys_needs_both_secrets_of_the_real_account(db, demo):
    from portal_app.errors import Invalid

    world = demo
    demo_payments.start_test_mode(Starter())
    for secret, webhook, field in [("", "", "secret_key"), ("sk_test_realaccount123", "", "webhook_secret"),
                                   ("", "whsec_realaccount123", "secret_key"),
                                   (DEMO_SECRET_KEY, "whsec_realaccount123", "secret_key")]:
        with pytest.raises(Invalid) as caught:
            save_stripe_keys(db, world.staff_a, publishable_key="pk_test_realaccount123", secret_key=secret,
                             webhook_secret=webhook)
        assert caught.value.field == field, (secret, webhook)
        db.rollback()
    assert demo_payments.workspace_in_test_mode(db, world.ws_a.id)  # nothing changed
    view = save_stripe_keys(db, world.staff_a, publishable_key="pk_test_realaccount123",
                            secret_key="sk_test_realaccount123", webhook_secret="whsec_realaccount123")
    assert view["test_mode"] is False and view["connected"] is True
