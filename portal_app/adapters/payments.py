"""The Stripe boundary: PaymentIntents, refunds, webhook signatures. No Reflex, no database.

Everything the rest of the app sees is small and plain: frozen dataclasses for what Stripe
answers, and one exception, `PaymentsError`, whose `.message` is safe to show a person and
whose `.code` is for the code. The SDK's own exceptions never leave this module; the
original error goes to the log (logger "portal.payments") instead.

Idempotency: every call that creates something takes an `idempotency_key`, passed to Stripe
as the `Idempotency-Key` header. Real Stripe then replays the first answer for 24 hours.
localstripe (the test stand-in) ignores the header, so the app's exactly-once guarantee
must come from its own attempt rows (key written before the call), never from this header
alone.

The webhook check works on the raw request body: `verify_webhook(body_bytes, header, secret)`.
Anything re-serialized (a framework's parsed JSON dumped again) no longer matches.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

import stripe

from portal_app.adapters import local_stripe
from portal_app.settings import Settings, get_settings

if TYPE_CHECKING:  # the request parameter types stripe declares (TypedDicts)
    from stripe.params import PaymentIntentCreateParams, RefundCreateParams

log = logging.getLogger("portal.payments")

DEFAULT_TIMEOUT = 20.0  # seconds, for connecting and for each read
DEFAULT_MAX_RETRIES = 2  # on connection errors, timeouts, 409 and 5xx (the SDK's rules)
WEBHOOK_TOLERANCE = 300  # seconds
clock = time.time  # what "now" is for a webhook's age (tests set it: no wall clock in a test)

# Stripe's documented limits.
_MAX_IDEMPOTENCY_KEY = 255
_MAX_METADATA_KEYS = 50
_MAX_METADATA_KEY_LEN = 40
_MAX_METADATA_VALUE_LEN = 500


class PaymentsError(Exception):
    """A payment operation failed.

    `message` is safe to show (a bank's decline reason, or a generic sentence); `code` is
    one of:

    - `card_error`     the card was refused; `message` is the bank's reason, `stripe_code`
                       (`card_declined`, `expired_card`, …) and `decline_code` say more
    - `bad_key`        the configured key is empty or not a secret key (checked locally)
    - `auth`           Stripe rejected the secret key
    - `permission`     the key (a restricted key) may not do this
    - `connection`     Stripe could not be reached in time (after the retries)
    - `rate_limited`   too many requests
    - `not_found`      no such object (e.g. retrieving an unknown PaymentIntent)
    - `idempotency`    an idempotency key was reused with different parameters
    - `invalid_request` Stripe refused the request (see `stripe_code`, e.g.
                       `charge_already_refunded`, `amount_too_large`)
    - `stripe_error`   anything else on Stripe's side
    - webhooks: `missing_signature`, `bad_signature`, `stale`, `bad_payload`, `no_secret`
    """

    def __init__(self, message: str, code: str, *, stripe_code: str | None = None,
                 decline_code: str | None = None, payment_intent_id: str | None = None,
                 http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.stripe_code = stripe_code
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"PaymentsError(code={self.code!r}, message={self.message!r})"


class _StripeErrorContext(TypedDict):
    """What every PaymentsError translated from a StripeError carries."""

    stripe_code: str | None
    payment_intent_id: str | None
    http_status: int | None


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing,
    #              requires_capture, canceled, succeeded
    amount: int  # minor units
    amount_received: int
    currency: str  # lower case ISO code, as Stripe writes it
    metadata: dict[str, str]
    latest_charge: str | None
    last_error: str | None  # the message of last_payment_error (e.g. the bank's reason)
    created: int  # unix seconds
    # For Stripe.js (confirmCardPayment / handleCardAction); never log it.
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int
    payment_intent: str | None
    charge: str | None
    metadata: dict[str, str] = field(default_factory=dict)


def _id_of(value: Any) -> str | None:
    """An expandable field: Stripe sends an id string, or the object when expanded
    (localstripe always sends PaymentIntent.latest_charge as the whole Charge object)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def payment_intent_info(obj: Any) -> PaymentIntentInfo:
    """Builds the dataclass from an SDK object or a plain dict (e.g. a webhook's
    `event["data"]["object"]`)."""
    d = _plain(obj)
    status = str(d.get("status") or "")
    amount = int(d.get("amount") or 0)
    received = d.get("amount_received")
    if received is None:
        # Real Stripe always sends amount_received; localstripe 1.15 does not. Without it a
        # succeeded intent (automatic capture of the whole amount) received the amount.
        received = amount if status == "succeeded" else 0
    error = d.get("last_payment_error")
    last_error = None
    if isinstance(error, Mapping):
        last_error = error.get("message") or error.get("code") or None
    metadata = d.get("metadata") or {}
    return PaymentIntentInfo(
        id=str(d["id"]),
        status=status,
        amount=amount,
        amount_received=int(received),
        currency=str(d.get("currency") or "").lower(),
        metadata={str(k): str(v) for k, v in dict(metadata).items()},
        latest_charge=_id_of(d.get("latest_charge")),
        last_error=last_error,
        created=int(d.get("created") or 0),
        client_secret=d.get("client_secret"),
    )


def refund_info(obj: Any) -> RefundInfo:
    d = _plain(obj)
    return RefundInfo(
        id=str(d["id"]),
        status=str(d.get("status") or ""),
        amount=int(d.get("amount") or 0),
        payment_intent=_id_of(d.get("payment_intent")),
        charge=_id_of(d.get("charge")),
        metadata={str(k): str(v) for k, v in dict(d.get("metadata") or {}).items()},
    )


def _check_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > _MAX_IDEMPOTENCY_KEY:
        raise ValueError("idempotency_key must be a non-empty string of at most 255 characters")
    return key


def _check_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive integer in minor units")
    return amount


def _check_metadata(metadata: Mapping[str, Any]) -> dict[str, str]:
    out = {str(k): str(v) for k, v in (metadata or {}).items()}
    if len(out) > _MAX_METADATA_KEYS or any(
            len(k) > _MAX_METADATA_KEY_LEN or len(v) > _MAX_METADATA_VALUE_LEN for k, v in out.items()):
        raise ValueError("metadata exceeds Stripe's limits (50 keys, 40-character keys, 500-character values)")
    return out


class StripeGateway:
    """One Stripe account (one workspace's secret key) through the official SDK.

    `api_base` points the SDK elsewhere (localstripe in tests); None or "" is the real
    Stripe. Each request times out after `timeout` seconds and is retried `max_retries`
    times on connection errors, timeouts, 409 and 5xx; POSTs carry an idempotency key, so
    a retry cannot act twice on real Stripe. Worst case for an unreachable server:
    (max_retries + 1) * timeout plus a few seconds of back-off.
    """

    def __init__(self, secret_key: str, api_base: str | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES):
        key = (secret_key or "").strip()
        if not key:
            raise PaymentsError("Stripe is not connected: no secret key is set.", "bad_key")
        if key.startswith("pk_"):
            raise PaymentsError("That is a publishable key; the secret key starts with sk_ or rk_.",
                                "bad_key")
        if any(c.isspace() for c in key):
            raise PaymentsError("The Stripe secret key contains spaces; paste it again.", "bad_key")
        self.api_base = (api_base or "").rstrip("/") or stripe.DEFAULT_API_BASE
        self.timeout = timeout
        self.max_retries = max_retries
        self._http = stripe.RequestsClient(timeout=timeout)
        self._client = stripe.StripeClient(
            key,
            base_addresses={"api": self.api_base},
            max_network_retries=max_retries,
            http_client=self._http,
        )

    page_size = 100  # PaymentIntents per list request (Stripe's maximum)

    def __repr__(self) -> str:  # never the key
        return f"StripeGateway(api_base={self.api_base!r})"

    @property
    def _host(self) -> str:
        return urlsplit(self.api_base).netloc or self.api_base

    # -- errors -------------------------------------------------------------------------

    def _translate(self, e: stripe.StripeError, action: str) -> PaymentsError:
        body = e.json_body if isinstance(e.json_body, dict) else {}
        error = body.get("error")
        err: dict[str, Any] = error if isinstance(error, dict) else {}
        stripe_code = e.code or err.get("code")
        pi = err.get("payment_intent")
        pi_id = _id_of(pi)
        common = _StripeErrorContext(stripe_code=stripe_code, payment_intent_id=pi_id, http_status=e.http_status)

        if isinstance(e, stripe.CardError):
            log.info("Stripe %s: card refused (%s, decline %s, request %s)", action, stripe_code,
                     err.get("decline_code"), e.request_id)
            return PaymentsError(e.user_message or "Your card was declined.", "card_error",
                                 decline_code=err.get("decline_code"), **common)

        log.warning("Stripe %s failed: %s: %s (http %s, code %s, request %s, api %s)", action,
                    type(e).__name__, e.user_message, e.http_status, stripe_code, e.request_id,
                    self._host)
        if isinstance(e, stripe.AuthenticationError):
            return PaymentsError("Stripe rejected the secret key.", "auth", **common)
        if isinstance(e, stripe.PermissionError):
            return PaymentsError("This Stripe key is not allowed to do that (a restricted key "
                                 "without the needed permission).", "permission", **common)
        if isinstance(e, stripe.APIConnectionError):
            return PaymentsError(f"Could not reach Stripe ({self._host}): the connection failed or "
                                 "timed out. Try again in a moment.", "connection", **common)
        if isinstance(e, stripe.RateLimitError):
            return PaymentsError("Stripe is receiving too many requests; try again in a moment.",
                                 "rate_limited", **common)
        if isinstance(e, stripe.IdempotencyError):
            return PaymentsError("This payment request was already sent with different details.",
                                 "idempotency", **common)
        if isinstance(e, stripe.InvalidRequestError):
            if e.http_status == 404 or stripe_code == "resource_missing":
                return PaymentsError("Stripe has no such payment.", "not_found", **common)
            return PaymentsError("Stripe refused the request.", "invalid_request", **common)
        return PaymentsError("Stripe could not process the request; try again in a moment.",
                             "stripe_error", **common)

    # -- calls --------------------------------------------------------------------------

    def create_payment_intent(self, amount: int, currency: str, *, metadata: Mapping[str, Any],
                              idempotency_key: str, payment_method: str | None = None,
                              confirm: bool = False, customer: str | None = None) -> PaymentIntentInfo:
        """Creates a card PaymentIntent (and confirms it server-side when `confirm`).

        A declined card raises PaymentsError(code="card_error") with the bank's message; on
        real Stripe `payment_intent_id` then names the intent that failed. A card that
        needs 3-D Secure comes back with status `requires_action`: hand `client_secret` to
        Stripe.js."""
        _check_amount(amount)
        _check_idempotency_key(idempotency_key)
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise ValueError("currency must be a three-letter ISO code")
        # typeddict-unknown-key: stripe's PaymentIntentCreateParams no longer declares payment_method_types
        # (below), which the API still takes; the other keys stay checked.
        params: PaymentIntentCreateParams = {  # type: ignore[typeddict-unknown-key]
            "amount": amount,
            "currency": currency.lower(),
            "metadata": _check_metadata(metadata),
            # Card only: also keeps real Stripe from defaulting to automatic payment methods,
            # which would demand a return_url for a server-side confirmation.
            "payment_method_types": ["card"],
        }
        if payment_method:
            params["payment_method"] = payment_method
        if customer:
            params["customer"] = customer
        if confirm:
            params["confirm"] = True
        try:
            pi = self._client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as e:
            raise self._translate(e, "create PaymentIntent") from None
        return payment_intent_info(pi)

    def save_card(self, card_token: str, *, email: str, name: str, metadata: Mapping[str, Any],
                  idempotency_key: str) -> tuple[str, str]:
        """(customer id, card id): a Stripe customer holding the card that Stripe.js turned
        into `card_token` (tok_…). Stripe checks the card with the bank as it is attached,
        so a card the bank refuses (4000 0000 0000 0002 in test mode) fails here with the
        bank's reason, before any PaymentIntent exists. Both calls carry keys derived from
        `idempotency_key`, so a retry finds the same customer and card."""
        _check_idempotency_key(idempotency_key)
        if not isinstance(card_token, str) or not card_token.startswith("tok_"):
            raise ValueError("card_token must be a Stripe.js card token (tok_…)")
        try:
            customer = self._client.v1.customers.create(
                {"email": email, "name": name[:200], "metadata": _check_metadata(metadata)},
                {"idempotency_key": f"{idempotency_key}-customer"})
            card = self._client.v1.customers.payment_sources.create(
                customer.id, {"source": card_token}, {"idempotency_key": f"{idempotency_key}-card"})
        except stripe.StripeError as e:
            raise self._translate(e, "save card") from None
        return customer.id, card.id

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        if not isinstance(payment_intent_id, str) or not payment_intent_id.strip():
            raise ValueError("payment_intent_id is required")
        try:
            pi = self._client.v1.payment_intents.retrieve(payment_intent_id)
        except stripe.StripeError as e:
            raise self._translate(e, "retrieve PaymentIntent") from None
        return payment_intent_info(pi)

    def list_payment_intents(self, created_gte: int) -> Iterator[PaymentIntentInfo]:
        """Every PaymentIntent created at or after `created_gte` (unix seconds), following
        Stripe's pages (`page_size` a page, newest first on real Stripe). Requests are made
        as the iterator is consumed, so a PaymentsError can come from any `next()`."""
        if isinstance(created_gte, bool) or not isinstance(created_gte, int) or created_gte < 0:
            raise ValueError("created_gte must be a unix timestamp in seconds")
        return self._iter_payment_intents(created_gte)

    def _iter_payment_intents(self, created_gte: int) -> Iterator[PaymentIntentInfo]:
        try:
            try:
                page = self._client.v1.payment_intents.list(
                    {"created": {"gte": created_gte}, "limit": self.page_size})
            except stripe.InvalidRequestError as e:
                # localstripe 1.15 implements no `created` filter on this list and answers
                # 400 "Unexpected created"; real Stripe never says that. List everything
                # there and filter below.
                if e.http_status != 400 or not (e.user_message or "").startswith("Unexpected created"):
                    raise
                log.info("Stripe at %s cannot filter PaymentIntents by date; filtering here", self._host)
                page = self._client.v1.payment_intents.list({"limit": self.page_size})
            for pi in page.auto_paging_iter():
                info = payment_intent_info(pi)
                if info.created >= created_gte:
                    yield info
        except stripe.StripeError as e:
            raise self._translate(e, "list PaymentIntents") from None

    def refund(self, payment_intent_id: str, amount: int | None, *, idempotency_key: str,
               metadata: Mapping[str, Any] | None = None) -> RefundInfo:
        """Refunds `amount` (minor units) of a PaymentIntent's charge. None refunds what is
        left on real Stripe, but the whole charge again on localstripe (which also allows
        refunding more than was paid): pass the amount the app's ledger says is left."""
        if not isinstance(payment_intent_id, str) or not payment_intent_id.strip():
            raise ValueError("payment_intent_id is required")
        _check_idempotency_key(idempotency_key)
        params: RefundCreateParams = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = _check_amount(amount)
        if metadata:
            params["metadata"] = _check_metadata(metadata)
        try:
            refund = self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as e:
            raise self._translate(e, "refund") from None
        return refund_info(refund)

    def list_refunds(self, payment_intent_id: str) -> list[RefundInfo]:
        """The refunds of a PaymentIntent (one page of up to 100: a payment is refunded in a
        few parts, not hundreds)."""
        if not isinstance(payment_intent_id, str) or not payment_intent_id.strip():
            raise ValueError("payment_intent_id is required")
        try:
            page = self._client.v1.refunds.list({"payment_intent": payment_intent_id, "limit": 100})
        except stripe.StripeError as e:
            raise self._translate(e, "list refunds") from None
        return [refund_info(r) for r in page.data]

    def check_connection(self) -> None:
        """A cheap authenticated read (one PaymentIntent) that also proves the key may read
        PaymentIntents. Raises PaymentsError (auth, permission, connection, …)."""
        try:
            self._client.v1.payment_intents.list({"limit": 1})
        except stripe.StripeError as e:
            raise self._translate(e, "check connection") from None


def make_gateway(secret_key: str, settings: Settings | None = None) -> StripeGateway:
    """A gateway for one workspace's key, at PORTAL_STRIPE_API_BASE (empty: real Stripe); the demo's
    test key goes to the local stand-in (adapters/local_stripe.py) and nowhere else."""
    s = settings or get_settings()
    if (secret_key or "").strip() == local_stripe.DEMO_SECRET_KEY:  # the demo's test mode: never the real Stripe
        base = local_stripe.api_base_for(secret_key.strip())
        if base is None:
            raise PaymentsError("Test payments are not running in this demo.", "connection")
        return StripeGateway(secret_key, base)
    return StripeGateway(secret_key, s.stripe_api_base or None)


# -- webhooks ---------------------------------------------------------------------------


def _signature_timestamp(header: str) -> int:
    """The `t=` of a Stripe-Signature header: the first one, as the SDK reads it."""
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name.strip() == "t":
            return int(value)
    raise ValueError("no timestamp")


def verify_webhook(payload: bytes, signature_header: str | None, secret: str,
                   tolerance: int = WEBHOOK_TOLERANCE, now: int | None = None) -> dict[str, Any]:
    """Checks the Stripe-Signature of a webhook on its RAW body and returns the event.

    The signature is HMAC-SHA256 over "{t}.{body}" with the endpoint's signing secret (the
    SDK's WebhookSignature does the comparison, in constant time). A timestamp more than
    `tolerance` seconds from `now` (either way) is refused as stale, so a captured request
    cannot be replayed later. Raises PaymentsError with code missing_signature,
    bad_signature, stale, bad_payload or no_secret.
    """
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError("verify_webhook needs the raw request body as bytes")
    if tolerance <= 0:
        raise ValueError("tolerance must be positive")
    if not secret or not secret.strip():
        raise PaymentsError("The webhook signing secret is not configured.", "no_secret")
    if not signature_header or not signature_header.strip():
        raise PaymentsError("The request has no Stripe-Signature header.", "missing_signature")
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError:
        raise PaymentsError("The webhook body is not UTF-8.", "bad_payload") from None
    try:
        # tolerance=None: the SDK checks the signature only; the age is checked below
        # against `now`, in both directions.
        stripe.WebhookSignature.verify_header(text, signature_header, secret, tolerance=None)
        timestamp = _signature_timestamp(signature_header)
    except (stripe.SignatureVerificationError, ValueError):
        raise PaymentsError("The webhook signature does not match.", "bad_signature") from None
    current = int(clock()) if now is None else int(now)
    if abs(current - timestamp) > tolerance:
        raise PaymentsError("The webhook is too old (or dated in the future).", "stale")
    try:
        event = json.loads(text)
    except ValueError:
        raise PaymentsError("The webhook body is not JSON.", "bad_payload") from None
    if (not isinstance(event, dict) or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str) or not isinstance(event.get("data"), dict)):
        raise PaymentsError("The webhook body is not a Stripe event.", "bad_payload")
    return event
