"""Settings › Payments: connect a workspace's Stripe account (keys sealed at rest), check
the connection, show the webhook URL to paste into Stripe; invoice numbering and partial
payments."""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session

from portal_app import limits
from portal_app.access import Actor, require_configure_payments
from portal_app.adapters.local_stripe import DEMO_SECRET_KEY
from portal_app.adapters.payments import PaymentsError, make_gateway
from portal_app.errors import Invalid
from portal_app.models import Workspace, WorkspacePayments, utcnow
from portal_app.services import audit
from portal_app.services.billing import demo_payments
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.billing.money import CURRENCIES, parse_amount, plain_amount
from portal_app.services.secret_box import SecretUnavailable, hint, seal, unseal
from portal_app.services.validation import clean_text


class PaymentsView(TypedDict, total=False):
    """What Settings › Payments shows ({} on the page while it is refused)."""
    connected: bool
    publishable_key: str
    secret_hint: str
    webhook_secret_hint: str
    webhook_url: str
    connected_at: str
    invoice_prefix: str
    next_number: str
    default_currency: str
    allow_partial: bool
    min_partial: str
    estimate_invoice: str  # draft | sent: what an accepted estimate becomes
    default_terms_days: str  # days from issue to due of an invoice made without a due date
    key_problem: str       # a stored secret that this server's key cannot read
    test_mode: bool        # the demo's test payments (a local Stripe stand-in; no real money)
    test_mode_running: bool  # ... and its stand-in runs now


def webhook_url(ws: Workspace) -> str:
    return f"{ws.base_url}/api/stripe/webhook/{ws.public_id}"


def payments_view(db: Session, actor: Actor) -> PaymentsView:
    staff = require_configure_payments(actor)
    ws = db.get_one(Workspace, staff.workspace_id)
    row = payments_settings(db, staff.workspace_id)
    problem = ""
    try:
        secret, whsec = unseal(row.stripe_secret_sealed), unseal(row.stripe_webhook_secret_sealed)
    except SecretUnavailable as exc:
        secret = whsec = ""
        problem = exc.message
    return PaymentsView(
        connected=bool(row.stripe_publishable_key and secret and whsec), publishable_key=row.stripe_publishable_key,
        secret_hint=hint(secret), webhook_secret_hint=hint(whsec), webhook_url=webhook_url(ws),
        connected_at=row.stripe_connected_at.strftime("%d %b %Y, %H:%M UTC") if row.stripe_connected_at else "",
        invoice_prefix=row.invoice_prefix, next_number=f"{row.invoice_prefix}{row.next_invoice_number:04d}",
        default_currency=row.default_currency, allow_partial=row.allow_partial,
        min_partial=plain_amount(row.min_partial_minor, row.default_currency)
        if row.min_partial_minor else "", estimate_invoice=row.estimate_invoice or "draft", key_problem=problem,
        default_terms_days=str(row.default_terms_days),
        test_mode=demo_payments.in_test_mode(row), test_mode_running=demo_payments.running())


def _key(value: object, prefixes: tuple[str, ...], label: str, field: str) -> str:
    text = clean_text(value, field, label, limits.STRIPE_KEY)
    if text and not text.startswith(prefixes):
        raise Invalid(f"{label} should start with {' or '.join(prefixes)}.", field)
    if text and len(text) < 12:
        raise Invalid(f"{label} looks too short.", field)
    return text


def _is_demo_key(row: WorkspacePayments) -> bool:
    try:
        return unseal(row.stripe_secret_sealed) == DEMO_SECRET_KEY
    except SecretUnavailable:
        return False


def save_stripe_keys(db: Session, actor: Actor, *, publishable_key: object, secret_key: object,
                     webhook_secret: object) -> PaymentsView:
    """Empty secret fields keep what is stored (the page never shows secrets back)."""
    staff = require_configure_payments(actor)
    row = payments_settings(db, staff.workspace_id)
    pk = _key(publishable_key, ("pk_live_", "pk_test_"), "Publishable key", "publishable_key")
    sk = _key(secret_key, ("sk_live_", "sk_test_", "rk_live_", "rk_test_"), "Secret key", "secret_key")
    wh = _key(webhook_secret, ("whsec_",), "Webhook signing secret", "webhook_secret")
    if not pk:
        raise Invalid("Publishable key is required.", "publishable_key")
    if sk and pk.split("_")[1] != sk.split("_")[1]:
        raise Invalid("The publishable and secret keys must both be live keys or both be test keys.", "secret_key")
    if (sk == DEMO_SECRET_KEY or _is_demo_key(row)) and not (sk and sk != DEMO_SECRET_KEY and wh):
        # the demo's test keys belong to its local stand-in: a real account brings both of its own
        raise Invalid("Enter your Stripe account's secret key and webhook signing secret too: the demo's test "
                      "keys only work with its local stand-in.", "webhook_secret" if sk and sk != DEMO_SECRET_KEY
                      else "secret_key")
    row.stripe_publishable_key = pk
    if sk:
        row.stripe_secret_sealed = seal(sk)
    if wh:
        row.stripe_webhook_secret_sealed = seal(wh)
    if not row.stripe_secret_sealed or not row.stripe_webhook_secret_sealed:
        raise Invalid("Enter the secret key and the webhook signing secret too.",
                      "secret_key" if not row.stripe_secret_sealed else "webhook_secret")
    row.stripe_connected_at, row.updated_at = utcnow(), utcnow()
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "payments.stripe_keys_saved", "workspace", str(staff.workspace_id),
                 {"publishable_key": pk[:12] + "…", "secret_changed": bool(sk), "webhook_secret_changed": bool(wh)})
    return payments_view(db, staff)


def disconnect_stripe(db: Session, actor: Actor) -> PaymentsView:
    staff = require_configure_payments(actor)
    row = payments_settings(db, staff.workspace_id)
    row.stripe_publishable_key = row.stripe_secret_sealed = row.stripe_webhook_secret_sealed = ""
    row.stripe_connected_at, row.updated_at = None, utcnow()
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "payments.stripe_disconnected", "workspace", str(staff.workspace_id), {})
    return payments_view(db, staff)


def test_connection(db: Session, actor: Actor) -> str:
    """A human answer: connected, or why not (the page shows it as is)."""
    staff = require_configure_payments(actor)
    row = payments_settings(db, staff.workspace_id)
    secret = unseal(row.stripe_secret_sealed)
    if not secret:
        raise Invalid("Save a secret key first.", "secret_key")
    try:
        make_gateway(secret).check_connection()
    except PaymentsError as exc:
        raise Invalid(f"Stripe did not accept the connection: {exc.message}", "secret_key") from None
    return "Connected: Stripe accepted the secret key."


MAX_TERMS_DAYS = 365


def _terms_days(value: object) -> int:
    text = str(value if value is not None else "").strip()
    if not text:
        return 14
    if len(text) > 4 or not (text.isascii() and text.isdigit()) or int(text) > MAX_TERMS_DAYS:
        raise Invalid(f"Default payment terms must be a whole number of days from 0 to {MAX_TERMS_DAYS}.",
                      "default_terms_days")
    return int(text)


def save_invoice_settings(db: Session, actor: Actor, *, invoice_prefix: object, default_currency: object,
                          allow_partial: bool, min_partial: object, estimate_invoice: object = None,
                          default_terms_days: object = None) -> PaymentsView:
    staff = require_configure_payments(actor)
    row = payments_settings(db, staff.workspace_id)
    prefix = clean_text(invoice_prefix, "invoice_prefix", "Invoice number prefix", limits.INVOICE_PREFIX)
    if any(ch.isspace() for ch in prefix):
        raise Invalid("The prefix cannot contain spaces.", "invoice_prefix")
    currency = str(default_currency or "").upper()
    if currency not in CURRENCIES:
        raise Invalid("Choose a currency from the list.", "default_currency")
    minimum = (parse_amount(min_partial, currency, "Minimum partial payment", "min_partial")
               if str(min_partial or "").strip() else 0)
    row.invoice_prefix, row.default_currency = prefix, currency
    row.allow_partial, row.min_partial_minor, row.updated_at = bool(allow_partial), minimum, utcnow()
    if estimate_invoice is not None:
        if estimate_invoice not in ("draft", "sent"):
            raise Invalid("Choose what a signed estimate becomes.", "estimate_invoice")
        row.estimate_invoice = estimate_invoice
    if default_terms_days is not None:
        row.default_terms_days = _terms_days(default_terms_days)
    db.add(row)
    audit.record(db, staff.workspace_id, staff, "payments.invoice_settings_saved", "workspace",
                 str(staff.workspace_id), {"prefix": prefix, "currency": currency, "allow_partial": bool(allow_partial)})
    return payments_view(db, staff)
