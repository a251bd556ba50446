"""verify_webhook: Stripe-Signature checked on the raw body, with payloads signed by the
SDK's own WebhookSignature.generate_signature_header (what Stripe computes)."""

from __future__ import annotations

import json

import pytest
import stripe

from portal_app.adapters.payments import PaymentsError, verify_webhook

SECRET = "whsec_unit_test_secret_0123456789"
NOW = 1_800_000_000

EVENT = {
    "id": "evt_1TestEvent",
    "object": "event",
    "type": "payment_intent.succeeded",
    "created": NOW,
    "data": {"object": {"id": "pi_1Test", "object": "payment_intent", "amount": 2500,
                        "amount_received": 2500, "currency": "eur", "status": "succeeded",
                        "metadata": {"invoice": "inv_1", "workspace": "ws_a"}}},
}
# As Stripe sends it: pretty-printed, the bytes that were signed.
BODY = json.dumps(EVENT, indent=2).encode()


def sign(body: bytes | str, secret: str = SECRET, timestamp: int = NOW) -> str:
    text = body.decode() if isinstance(body, bytes) else body
    return stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=timestamp)


def refused(code: str, body, header, secret=SECRET, **kw) -> PaymentsError:
    with pytest.raises(PaymentsError) as caught:
        verify_webhook(body, header, secret, **kw)
    assert caught.value.code == code, caught.value
    assert caught.value.message
    return caught.value


def test_valid_signature_returns_the_event():
    event = verify_webhook(BODY, sign(BODY), SECRET, now=NOW + 5)
    assert event == EVENT
    assert verify_webhook(bytearray(BODY), sign(BODY), SECRET, now=NOW) == EVENT


def test_default_clock_is_now():
    import time

    ts = int(time.time())
    assert verify_webhook(BODY, sign(BODY, timestamp=ts), SECRET)["id"] == EVENT["id"]
    refused("stale", BODY, sign(BODY, timestamp=ts - 301))


def test_bad_signature_is_refused():
    header = sign(BODY)
    t, v1 = header.split(",")
    digest = v1.split("=", 1)[1]
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    refused("bad_signature", BODY, f"{t},v1={flipped}", now=NOW)


def test_missing_header_is_refused():
    refused("missing_signature", BODY, None, now=NOW)
    refused("missing_signature", BODY, "", now=NOW)
    refused("missing_signature", BODY, "   ", now=NOW)


def test_stale_timestamp_is_refused():
    header = sign(BODY, timestamp=NOW)
    assert verify_webhook(BODY, header, SECRET, now=NOW + 300)["id"] == EVENT["id"]  # at the limit
    refused("stale", BODY, header, now=NOW + 301)
    refused("stale", BODY, header, now=NOW + 86_400)
    refused("stale", BODY, header, now=NOW - 301)  # dated in the future
    # A stricter tolerance is honoured.
    refused("stale", BODY, header, now=NOW + 61, tolerance=60)


def test_the_signed_timestamp_cannot_be_refreshed():
    old = sign(BODY, timestamp=NOW - 3600)
    digest = old.split(",")[1]
    refused("bad_signature", BODY, f"t={NOW},{digest}", now=NOW)


def test_reserialized_body_is_refused():
    header = sign(BODY)
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    spaced = json.dumps(json.loads(BODY)).encode()
    reordered = json.dumps(json.loads(BODY), indent=2, sort_keys=True).encode()
    for body in (compact, spaced, reordered, BODY + b"\n", BODY.replace(b"\n", b"\r\n")):
        assert json.loads(body) == EVENT  # same data, other bytes
        refused("bad_signature", body, header, now=NOW)


def test_tampered_body_is_refused():
    header = sign(BODY)
    tampered = BODY.replace(b'"amount_received": 2500', b'"amount_received": 250000')
    assert tampered != BODY
    refused("bad_signature", tampered, header, now=NOW)


def test_another_secret_is_refused():
    other = sign(BODY, secret="whsec_another_workspace_secret")
    refused("bad_signature", BODY, other, now=NOW)


def test_rotated_secrets_any_matching_signature_passes():
    good = sign(BODY).split(",")[1]
    old = sign(BODY, secret="whsec_old").split(",")[1]
    assert verify_webhook(BODY, f"t={NOW},{old},{good}", SECRET, now=NOW)["id"] == EVENT["id"]


@pytest.mark.parametrize("header", ["garbage", "t=abc,v1=00", "v1=" + "0" * 64, f"t={NOW}",
                                    f"t={NOW},v0=" + "0" * 64])
def test_malformed_headers_are_refused(header):
    refused("bad_signature", BODY, header, now=NOW)


def test_signed_but_not_an_event_is_bad_payload():
    for body in (b"not json", b"[1, 2, 3]", b'{"id": "evt_1"}', b'{"id": 1, "type": "x", "data": {}}'):
        refused("bad_payload", body, sign(body), now=NOW)
    not_utf8 = b'{"id": "\xff"}'
    refused("bad_payload", not_utf8, f"t={NOW},v1=" + "0" * 64, now=NOW)


def test_missing_secret_is_a_configuration_error():
    refused("no_secret", BODY, sign(BODY), secret="", now=NOW)
    refused("no_secret", BODY, sign(BODY), secret="  ", now=NOW)


def test_only_raw_bytes_are_accepted():
    with pytest.raises(TypeError):
        verify_webhook(BODY.decode(), sign(BODY), SECRET, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_webhook(EVENT, sign(BODY), SECRET, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        verify_webhook(BODY, sign(BODY), SECRET, tolerance=0, now=NOW)
