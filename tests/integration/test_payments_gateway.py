"""StripeGateway against localstripe (a real HTTP Stripe stand-in, see tests/support/stripe.py)
with the real stripe SDK, over real sockets; and Stripe's signed webhooks received by a
small HTTP server and checked with verify_webhook.

Idempotency: localstripe ignores the Idempotency-Key header (two creates with the same key
make two PaymentIntents). Real Stripe replays the first answer, but the app's exactly-once
guarantee must come from its own attempt rows written before the call, so nothing here
asserts deduplication: only that the key reaches the request Stripe receives.
"""

from __future__ import annotations

import json
import queue
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import stripe

from portal_app.adapters.payments import PaymentsError, StripeGateway, make_gateway, payment_intent_info, verify_webhook
from portal_app.settings import get_settings, reset_settings_cache
from tests.support.services import free_port
from tests.support.stripe import TEST_SECRET_KEY, VISA

# localstripe declines these when charged (a PaymentIntent confirm). 4000000000000002 is
# declined only when attached to a customer there; charged directly it succeeds, unlike on
# real Stripe.
DECLINED_AT_CHARGE = "4000000000000341"


@pytest.fixture
def gateway(localstripe_url) -> StripeGateway:
    return StripeGateway(TEST_SECRET_KEY, localstripe_url)


@pytest.fixture
def card(localstripe_url):
    """Creates a card PaymentMethod the way Stripe.js would, returns its id."""
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": localstripe_url})

    def make(number: str = VISA) -> str:
        pm = client.v1.payment_methods.create(
            {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
        return pm.id

    return make


def key() -> str:
    return "attempt-" + secrets.token_hex(8)


def pay(gateway: StripeGateway, card, amount: int, **metadata) -> str:
    pi = gateway.create_payment_intent(amount, "eur", metadata=metadata, idempotency_key=key(),
                                       payment_method=card(), confirm=True)
    assert pi.status == "succeeded"
    return pi.id


# -- payments -----------------------------------------------------------------------------


def test_confirmed_card_payment_succeeds_and_reads_back(gateway, card):
    pm = card()
    before = int(time.time())
    pi = gateway.create_payment_intent(2500, "EUR", metadata={"invoice": "inv_1", "workspace": "ws_a"},
                                       idempotency_key=key(), payment_method=pm, confirm=True)
    after = int(time.time())
    assert pi.id.startswith("pi_")
    assert pi.status == "succeeded"
    assert (pi.amount, pi.amount_received, pi.currency) == (2500, 2500, "eur")
    assert pi.metadata == {"invoice": "inv_1", "workspace": "ws_a"}
    assert pi.latest_charge and pi.latest_charge.startswith("ch_")
    assert pi.last_error is None
    assert before <= pi.created <= after  # Unix seconds, stamped by the server during the call

    again = gateway.retrieve_payment_intent(pi.id)
    assert again == pi


def test_unconfirmed_intent_waits_for_a_payment_method(gateway):
    pi = gateway.create_payment_intent(900, "usd", metadata={"invoice": "inv_2"}, idempotency_key=key())
    assert pi.status == "requires_payment_method"
    assert pi.amount_received == 0
    assert pi.latest_charge is None
    assert pi.client_secret and pi.client_secret.startswith(pi.id + "_secret_")
    assert "secret" not in repr(pi)  # never in logs by accident


def test_metadata_values_become_strings(gateway):
    pi = gateway.create_payment_intent(100, "eur", metadata={"invoice_id": 42}, idempotency_key=key())
    assert gateway.retrieve_payment_intent(pi.id).metadata == {"invoice_id": "42"}


def test_list_since_a_timestamp_follows_pages(gateway, card):
    before = pay(gateway, card, 300, tag="before")
    since = gateway.retrieve_payment_intent(before).created + 1  # `created` is in whole seconds
    while time.time() < since:  # the next payments are made in a later second than `before`
        time.sleep(0.05)
    new = [pay(gateway, card, 100 + i, tag="since") for i in range(3)]

    gateway.page_size = 2  # several pages, whatever else the session stored
    found = {pi.id: pi for pi in gateway.list_payment_intents(since)}
    assert set(new) <= set(found)
    assert before not in found
    assert all(pi.created >= since for pi in found.values())
    assert found[new[0]].amount_received == 100 and found[new[0]].metadata == {"tag": "since"}

    assert not list(gateway.list_payment_intents(int(time.time()) + 3600))


def test_partial_refund_then_the_rest(gateway, card):
    pi_id = pay(gateway, card, 5000, invoice="inv_refund")
    charge = gateway.retrieve_payment_intent(pi_id).latest_charge

    first = gateway.refund(pi_id, 2000, idempotency_key=key())
    assert first.id.startswith("re_")
    assert (first.status, first.amount, first.payment_intent, first.charge) == ("succeeded", 2000, pi_id, charge)

    # Always pass the amount left, computed from the app's ledger: localstripe's "no amount"
    # means the whole charge again, and it does not refuse refunding more than was paid
    # (real Stripe does, with charge_already_refunded / amount_too_large).
    rest = gateway.refund(pi_id, 3000, idempotency_key=key())
    assert (rest.status, rest.amount, rest.charge) == ("succeeded", 3000, charge)
    assert rest.id != first.id


def test_idempotency_key_reaches_the_request(gateway, card, monkeypatch):
    sent: list[tuple[str, str, dict]] = []
    real_request = gateway._http.request

    def spy(method, url, headers, post_data=None):
        sent.append((method, url, dict(headers or {})))
        return real_request(method, url, headers, post_data)

    monkeypatch.setattr(gateway._http, "request", spy)
    pm = card()
    pi = gateway.create_payment_intent(700, "eur", metadata={}, idempotency_key="attempt-create-1",
                                       payment_method=pm, confirm=True)
    gateway.refund(pi.id, 700, idempotency_key="attempt-refund-1")

    posts = [(url, h) for method, url, h in sent if method == "post"]
    assert posts[0][0].endswith("/v1/payment_intents") and posts[0][1]["Idempotency-Key"] == "attempt-create-1"
    assert posts[1][0].endswith("/v1/refunds") and posts[1][1]["Idempotency-Key"] == "attempt-refund-1"
    assert posts[0][1]["Authorization"] == f"Bearer {TEST_SECRET_KEY}"


def test_declined_card_carries_the_banks_message(gateway, card):
    attempt = key()
    since = int(time.time())
    with pytest.raises(PaymentsError) as caught:
        gateway.create_payment_intent(1200, "eur", metadata={"attempt": attempt}, idempotency_key=attempt,
                                      payment_method=card(DECLINED_AT_CHARGE), confirm=True)
    err = caught.value
    assert err.code == "card_error"
    assert err.message == "Your card was declined."
    assert err.stripe_code == "card_declined"
    assert err.http_status == 402

    # The refused attempt still exists as a PaymentIntent waiting for another card (real
    # Stripe also names it in the error; localstripe does not): the app's reconcile sees it.
    [failed] = [pi for pi in gateway.list_payment_intents(since)
                if pi.metadata.get("attempt") == attempt]
    assert failed.status == "requires_payment_method"
    assert failed.amount_received == 0
    assert failed.last_error == "Your card was declined."


def test_unknown_payment_intent_is_not_found(gateway):
    with pytest.raises(PaymentsError) as caught:
        gateway.retrieve_payment_intent("pi_doesnotexist")
    assert caught.value.code == "not_found"


def test_bad_input_is_refused_before_any_request(gateway):
    for amount in (0, -5, 10.5, True, "100"):
        with pytest.raises(ValueError):
            gateway.create_payment_intent(amount, "eur", metadata={}, idempotency_key=key())
    with pytest.raises(ValueError):
        gateway.create_payment_intent(100, "euro", metadata={}, idempotency_key=key())
    with pytest.raises(ValueError):
        gateway.create_payment_intent(100, "eur", metadata={}, idempotency_key="")
    with pytest.raises(ValueError):
        gateway.create_payment_intent(100, "eur", metadata={"k" * 41: "v"}, idempotency_key=key())
    with pytest.raises(ValueError):
        gateway.refund("pi_x", 0, idempotency_key=key())
    with pytest.raises(ValueError):
        gateway.retrieve_payment_intent("")


# -- connection -----------------------------------------------------------------------------


def test_check_connection_ok(gateway):
    gateway.check_connection()


def test_check_connection_with_a_rejected_key(localstripe_url):
    with pytest.raises(PaymentsError) as caught:
        StripeGateway("not_a_stripe_key", localstripe_url).check_connection()
    assert caught.value.code == "auth"
    assert caught.value.message == "Stripe rejected the secret key."


@pytest.mark.parametrize("secret, words", [("", "no secret key"), ("  ", "no secret key"),
                                            ("pk_test_abc", "publishable key"),
                                            ("sk_test abc", "spaces")])
def test_unusable_keys_are_refused_without_a_request(secret, words):
    with pytest.raises(PaymentsError) as caught:
        StripeGateway(secret, "http://127.0.0.1:9")
    assert caught.value.code == "bad_key"
    assert words in caught.value.message


def count_attempts(gateway: StripeGateway) -> list[str]:
    """The HTTP requests the gateway's client sends, retries included (work, not seconds)."""
    sent: list[str] = []
    send = gateway._http.request

    def counted(method, url, *args, **kwargs):
        sent.append(f"{method.upper()} {url}")
        return send(method, url, *args, **kwargs)

    gateway._http.request = counted
    return sent


def test_unreachable_server_fails_fast_with_a_clear_message():
    port = free_port()  # nothing listens there: connection refused, retried twice
    gateway = StripeGateway(TEST_SECRET_KEY, f"http://127.0.0.1:{port}")
    attempts = count_attempts(gateway)
    with pytest.raises(PaymentsError) as caught:
        gateway.check_connection()
    # fast: the first try and the gateway's retries, each a refused connection, then it gives up
    assert len(attempts) == 1 + gateway.max_retries == 3
    assert caught.value.code == "connection"
    assert caught.value.message.startswith(f"Could not reach Stripe (127.0.0.1:{port})")


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        gateway = StripeGateway(TEST_SECRET_KEY, f"http://127.0.0.1:{port}", timeout=1.0, max_retries=1)
        attempts = count_attempts(gateway)
        with pytest.raises(PaymentsError) as caught:
            gateway.create_payment_intent(100, "eur", metadata={}, idempotency_key=key())
        silent.setblocking(False)
        connections = []
        while True:  # the connections the two attempts opened, waiting in the backlog
            try:
                connections.append(silent.accept()[0])
            except BlockingIOError:
                break
        for conn in connections:
            conn.close()
    assert caught.value.code == "connection"
    # two attempts (the first and one retry), each a connection that waited out its 1 s timeout
    assert gateway._http._timeout == 1.0
    assert len(attempts) == 2 and len(connections) == 2


def test_make_gateway_uses_the_api_base_setting(localstripe_url, monkeypatch):
    monkeypatch.setenv("PORTAL_STRIPE_API_BASE", localstripe_url + "/")
    reset_settings_cache()
    assert get_settings().stripe_api_base == localstripe_url
    gateway = make_gateway(TEST_SECRET_KEY)
    assert gateway.api_base == localstripe_url
    gateway.check_connection()
    assert TEST_SECRET_KEY not in repr(gateway)

    monkeypatch.delenv("PORTAL_STRIPE_API_BASE")
    reset_settings_cache()
    assert make_gateway(TEST_SECRET_KEY).api_base == "https://api.stripe.com"
    assert get_settings().stripe_js_url == "https://js.stripe.com/v3/"


# -- webhooks ---------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    deliveries: queue.Queue

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.deliveries.put((self.headers.get("Stripe-Signature"), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver():
    deliveries: queue.Queue = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"deliveries": deliveries})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook", deliveries
    finally:
        server.shutdown()
        server.server_close()


def wait_for_event(deliveries: queue.Queue, secret: str, event_type: str, pi_id: str, timeout: float = 20):
    """Verifies every delivery (other tests' events reach this endpoint too) and returns
    the first `event_type` about `pi_id`, with its raw body and signature header."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no {event_type} for {pi_id} within {timeout} s")
        try:
            header, body = deliveries.get(timeout=remaining)
        except queue.Empty:
            continue
        event = verify_webhook(body, header, secret)
        if event["type"] == event_type and event["data"]["object"]["id"] == pi_id:
            return event, body, header


def test_signed_webhook_for_a_successful_payment(localstripe_url, webhook_receiver, gateway, card):
    url, deliveries = webhook_receiver
    secret = "whsec_" + secrets.token_hex(16)
    endpoint_id = "portal-test-" + secrets.token_hex(4)
    r = httpx.post(f"{localstripe_url}/_config/webhooks/{endpoint_id}",
                   json={"url": url, "secret": secret,
                         "events": ["payment_intent.succeeded", "payment_intent.payment_failed"]})
    assert r.status_code == 200, r.text

    pi_id = pay(gateway, card, 4200, invoice="inv_hook", workspace="ws_hook")
    event, body, header = wait_for_event(deliveries, secret, "payment_intent.succeeded", pi_id)

    assert event["object"] == "event" and event["id"].startswith("evt_")
    info = payment_intent_info(event["data"]["object"])
    assert (info.id, info.status, info.amount_received) == (pi_id, "succeeded", 4200)
    assert info.metadata == {"invoice": "inv_hook", "workspace": "ws_hook"}

    # The same delivery is refused with another workspace's secret, or once re-serialized.
    with pytest.raises(PaymentsError) as caught:
        verify_webhook(body, header, "whsec_" + secrets.token_hex(16))
    assert caught.value.code == "bad_signature"
    with pytest.raises(PaymentsError) as caught:
        verify_webhook(json.dumps(json.loads(body)).encode(), header, secret)
    assert caught.value.code == "bad_signature"


def test_signed_webhook_for_a_declined_payment(localstripe_url, webhook_receiver, gateway, card):
    url, deliveries = webhook_receiver
    secret = "whsec_" + secrets.token_hex(16)
    r = httpx.post(f"{localstripe_url}/_config/webhooks/portal-test-{secrets.token_hex(4)}",
                   json={"url": url, "secret": secret, "events": ["payment_intent.payment_failed"]})
    assert r.status_code == 200, r.text

    attempt = key()
    since = int(time.time())
    with pytest.raises(PaymentsError):
        gateway.create_payment_intent(800, "eur", metadata={"attempt": attempt}, idempotency_key=attempt,
                                      payment_method=card(DECLINED_AT_CHARGE), confirm=True)
    [failed] = [pi for pi in gateway.list_payment_intents(since)
                if pi.metadata.get("attempt") == attempt]
    event, _, _ = wait_for_event(deliveries, secret, "payment_intent.payment_failed", failed.id)
    info = payment_intent_info(event["data"]["object"])
    assert (info.status, info.amount_received, info.metadata) == ("requires_payment_method", 0, {"attempt": attempt})
    assert info.last_error == "Your card was declined."
