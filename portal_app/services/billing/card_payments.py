"""Pay Now: a client pays their own invoice by card through the workspace's Stripe account.

The browser never talks to our server about card numbers: Stripe.js (loaded from
PORTAL_STRIPE_JS_URL) turns the card form into a token (tok_…), and the client's event
sends only that token and the amount. Here, for one payment:

1. the invoice is re-read under its row lock and checked payable by this client;
2. a PaymentAttempt row is written and COMMITTED before any Stripe call: its public id is
   the idempotency key of every call below, so a retry after a crash asks Stripe for the
   same customer, card and PaymentIntent instead of charging twice;
3. the card is saved on a Stripe customer (the bank checks it there: a refused card stops
   here) and a PaymentIntent for the amount is created and confirmed server-side;
4. the money is booked by the `payment_intent.succeeded` webhook (ledger dedupe key
   pi:<id>), never here: the page shows "processing" and turns Paid when it lands.
   `reconcile-payments` books any success the webhooks missed.

A card that needs 3-D Secure answers `requires_action` with the client secret, which the
browser hands to Stripe.js (confirmCardPayment); the webhook then books the payment too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from portal_app.access import Actor, require_client, require_pay_invoice
from portal_app.adapters.local_stripe import DEMO_SECRET_KEY
from portal_app.adapters.payments import PaymentsError, make_gateway
from portal_app.db import AnyRow, begin_write
from portal_app.errors import Invalid
from portal_app.models import Contact, Invoice, PaymentAttempt, Workspace, WorkspacePayments, utcnow
from portal_app.models.base import one_of
from portal_app.services import audit
from portal_app.services.billing import demo_payments, ledger
from portal_app.services.billing.invoice_views import find_invoice
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.billing.money import format_amount, parse_amount, plain_amount
from portal_app.services.secret_box import SecretUnavailable, unseal
from portal_app.settings import get_settings

CARD_TOKEN = re.compile(r"tok_[A-Za-z0-9_]{1,200}")
# Stripe's smallest card charge is about 0.50 in most currencies: below that it refuses.
STRIPE_MIN_MINOR = 50
# An attempt still on its way blocks a second one for this long (a double click, two tabs).
IN_FLIGHT = timedelta(minutes=2)
DECLINES_WAIT = ("Your card was declined several times, so Pay Now is paused for this account for a while "
                 "(this protects you and us from card testing). Please try again after {until} UTC, "
                 "or pay using the details on the invoice.")
UNAVAILABLE = ("Online card payment is not set up for this invoice. Please pay using the details on the "
               "invoice, or contact us.")


@dataclass
class Checkout:
    """What the Pay Now form needs (nothing secret: the publishable key is public)."""

    available: bool
    reason: str
    publishable_key: str
    js_url: str
    currency: str
    balance: str            # "1,250.00 USD"
    balance_plain: str      # "1250.00", the amount field's default
    allow_partial: bool
    minimum: str            # "" or "100.00 USD"
    test_mode: bool = False  # the demo's test payments: no real money moves

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PaymentStart:
    status: str             # processing | requires_action
    attempt: str            # the attempt's public id (the page watches the invoice, not this)
    amount: str
    client_secret: str = ""  # only for requires_action: handed to Stripe.js, never logged


def _secret(db: Session, workspace_id: int) -> tuple[str, str]:
    """(publishable key, secret key), or ("", "") when Stripe is not (readably) connected."""
    return _keys(payments_settings(db, workspace_id))


def _keys(row: WorkspacePayments | AnyRow) -> tuple[str, str]:
    """`_secret` of a workspace's payment settings already read (the row, or its columns)."""
    try:
        secret, webhook = unseal(row.stripe_secret_sealed), unseal(row.stripe_webhook_secret_sealed)
    except SecretUnavailable:
        return "", ""
    if not (row.stripe_publishable_key and secret and webhook):
        return "", ""
    if secret == DEMO_SECRET_KEY and not demo_payments.running():
        return "", ""  # the demo's test key, but its local stand-in is not running
    return row.stripe_publishable_key, secret


def checkout(db: Session, actor: Actor, invoice_public_id: str) -> Checkout:
    require_client(actor)  # staff see the invoice on their own pages; only its client pays
    inv, _ = find_invoice(db, actor, invoice_public_id)
    return checkout_of(inv, inv.is_payable, payments_settings(db, inv.workspace_id))


def checkout_of(inv: Invoice | AnyRow, payable: bool, row: WorkspacePayments | AnyRow) -> Checkout:
    """`checkout` of an invoice its client may pay, already read with the workspace's payment
    settings (entities, or rows of their columns); `payable`: `Invoice.is_payable`."""
    publishable, secret = _keys(row)
    minimum = _minimum(row.min_partial_minor if row.allow_partial else 0, inv.balance_minor)
    available = payable and bool(secret) and inv.balance_minor >= STRIPE_MIN_MINOR
    return Checkout(
        available=available,
        reason="" if available or not payable else (demo_payments.unavailable_reason(row) or UNAVAILABLE),
        publishable_key=publishable if available else "", js_url=demo_payments.js_url(secret),
        currency=inv.currency, balance=format_amount(max(inv.balance_minor, 0), inv.currency),
        balance_plain=plain_amount(max(inv.balance_minor, 0), inv.currency),
        allow_partial=bool(row.allow_partial) and available,
        minimum=format_amount(minimum, inv.currency) if row.allow_partial and minimum else "",
        test_mode=demo_payments.in_test_mode(row))


def _minimum(configured: int, balance: int) -> int:
    """The least a partial payment may be: the workspace's minimum (at least Stripe's), but
    never more than what is left to pay."""
    return min(max(configured, STRIPE_MIN_MINOR), balance)


def _amount(row, inv, amount: object) -> int:
    if not row.allow_partial:
        return inv.balance_minor  # the whole balance, whatever the form sent
    minor = parse_amount(amount, inv.currency, "Amount", "amount")
    least = _minimum(row.min_partial_minor, inv.balance_minor)
    if minor < least:
        raise Invalid(f"The smallest payment accepted is {format_amount(least, inv.currency)}.", "amount")
    if minor > inv.balance_minor:
        raise Invalid(f"That is more than the {format_amount(inv.balance_minor, inv.currency)} left to pay.",
                      "amount")
    return minor


def declines_block_until(db: Session, workspace_id: int, contact_id: int,
                         now: datetime | None = None) -> datetime | None:
    """When this client may try a card again, if PORTAL_CARD_MAX_DECLINES of their cards were
    declined by Stripe within the last PORTAL_CARD_DECLINE_WINDOW_MINUTES; else None."""
    settings = get_settings()
    now = now or utcnow()
    window = timedelta(minutes=settings.card_decline_window_minutes)
    recent = db.exec(select(PaymentAttempt.declined_at).where(
        PaymentAttempt.workspace_id == workspace_id, PaymentAttempt.contact_id == contact_id,
        col(PaymentAttempt.declined_at).is_not(None), col(PaymentAttempt.declined_at) > now - window)
        .order_by(col(PaymentAttempt.declined_at).desc()).limit(settings.card_max_declines)).all()
    if len(recent) < settings.card_max_declines:
        return None
    oldest = recent[-1]  # the oldest of the last N leaves the window then (never None: declined ones only)
    return None if oldest is None else oldest + window


def pay_invoice(db: Session, actor: Actor, invoice_public_id: str, *, amount: object,
                       card_token: object, now: datetime | None = None) -> PaymentStart:
    """Charge the client's card for `amount` (the balance unless partial payments are on).

    Commits the session (the attempt row must exist before Stripe hears of it). Raises
    Invalid with the bank's or Stripe's reason when the card is refused; the attempt then
    records the failure and nothing else changes."""
    inv, _ = find_invoice(db, actor, invoice_public_id)
    client = require_pay_invoice(actor, inv)
    token = str(card_token or "")
    if not CARD_TOKEN.fullmatch(token):
        raise Invalid("Your card details could not be read. Please enter them again.", "card")
    publishable, secret = _secret(db, inv.workspace_id)
    if not secret:
        raise Invalid(UNAVAILABLE)
    begin_write(db)  # SQLite: the writer lock before the checks below (PostgreSQL: the row lock)
    ledger.lock(db, inv)
    require_pay_invoice(actor, inv)  # again, on the row as it is now
    until = declines_block_until(db, inv.workspace_id, client.contact_id, now)
    if until is not None:
        raise Invalid(DECLINES_WAIT.format(until=until.strftime("%H:%M")), "card")
    row = payments_settings(db, inv.workspace_id)
    minor = _amount(row, inv, amount)
    if minor < STRIPE_MIN_MINOR:
        raise Invalid(UNAVAILABLE)
    recent = db.exec(select(PaymentAttempt.id).where(
        PaymentAttempt.invoice_id == inv.id, PaymentAttempt.kind == "payment",
        col(PaymentAttempt.status).in_(("created", "processing")),
        PaymentAttempt.created_at > utcnow() - IN_FLIGHT)).first()
    if recent is not None:
        raise Invalid("A payment for this invoice is already on its way. Wait a moment for it to show here.")
    attempt = PaymentAttempt(workspace_id=inv.workspace_id, invoice_id=inv.id, contact_id=client.contact_id,
                             kind="payment", amount_minor=minor, currency=inv.currency, status="created")
    db.add(attempt)
    audit.record(db, inv.workspace_id, client, "invoice.payment_started", "invoice", inv.public_id,
                 {"amount": minor, "attempt": attempt.public_id})
    db.commit()  # the attempt exists before Stripe hears of it

    ws = db.get_one(Workspace, inv.workspace_id)
    contact = db.get_one(Contact, client.contact_id)
    metadata = {"workspace": ws.public_id, "invoice": inv.public_id, "attempt": attempt.public_id}
    try:
        gateway = make_gateway(secret)
        customer, card = gateway.save_card(token, email=contact.email, name=client.name, metadata=metadata,
                                           idempotency_key=attempt.public_id)
        pi = gateway.create_payment_intent(minor, inv.currency, metadata=metadata,
                                           idempotency_key=attempt.public_id, payment_method=card,
                                           customer=customer, confirm=True)
    except PaymentsError as exc:
        _failed(db, attempt, exc.message, declined=exc.code == "card_error")
        raise Invalid(exc.message, "card") from None
    attempt.stripe_payment_intent_id, attempt.updated_at = pi.id, utcnow()
    if pi.status in ("succeeded", "processing", "requires_capture"):
        # a webhook may have marked it succeeded already: never move it back
        attempt.status = attempt.status if attempt.status == "succeeded" else "processing"
    elif pi.status == "requires_action" and pi.client_secret:
        attempt.status = "requires_action"
    else:
        _failed(db, attempt, pi.last_error or "The payment did not go through.", declined=True)
        raise Invalid(pi.last_error or "The payment did not go through. Please try another card.", "card")
    db.add(attempt)
    db.commit()
    return PaymentStart(status="requires_action" if attempt.status == "requires_action" else "processing",
                        attempt=attempt.public_id, amount=format_amount(minor, inv.currency),
                        client_secret=(pi.client_secret or "") if attempt.status == "requires_action" else "")


def _failed(db: Session, attempt: PaymentAttempt, message: str, *, declined: bool = False) -> None:
    db.rollback()  # whatever the failed step left half-done; the attempt row is committed
    fresh = db.get(PaymentAttempt, attempt.id)
    if fresh is not None and fresh.status != "succeeded":
        fresh.status, fresh.error, fresh.updated_at = "failed", str(message)[:500], utcnow()
        if declined:
            fresh.declined_at = fresh.updated_at
        db.add(fresh)
        db.commit()


def _attempts(db: Session, actor: Actor, invoice_public_id: str):
    inv, _ = find_invoice(db, actor, invoice_public_id)
    return select(PaymentAttempt).where(_own_attempts_clause(inv.id, getattr(actor, "contact_id", None)))


def _own_attempts_clause(invoice_id, contact_id):
    """The payment attempts of this invoice that this client started."""
    return sa.and_(col(PaymentAttempt.invoice_id) == invoice_id, col(PaymentAttempt.kind) == "payment",
                   col(PaymentAttempt.contact_id) == contact_id)


def on_its_way_clause(invoice_id, contact_id, since):
    """SQL of `payment_on_its_way` (`since`: now − IN_FLIGHT), e.g. in an EXISTS beside the
    invoice's own row (services/billing/client_invoice.py)."""
    return sa.and_(_own_attempts_clause(invoice_id, contact_id), one_of(col(PaymentAttempt.status), ("created", "processing")),
                   col(PaymentAttempt.created_at) > since)


def payment_on_its_way(db: Session, actor: Actor, invoice_public_id: str) -> bool:
    """This client started a payment of this invoice that Stripe has not settled yet."""
    inv, _ = find_invoice(db, actor, invoice_public_id)
    clause = on_its_way_clause(inv.id, getattr(actor, "contact_id", None), utcnow() - IN_FLIGHT)
    return db.exec(select(PaymentAttempt.id).where(clause).limit(1)).first() is not None


def last_failure(db: Session, actor: Actor, invoice_public_id: str) -> str:
    """The bank's reason when this client's latest payment of the invoice failed, else ""."""
    latest = db.exec(_attempts(db, actor, invoice_public_id)
                     .order_by(col(PaymentAttempt.id).desc()).limit(1)).first()
    if latest is None or latest.status != "failed":
        return ""
    return latest.error or "The payment did not go through."
