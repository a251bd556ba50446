"""The demo's test payments: in demo mode (PORTAL_DEMO=1), a workspace without a real Stripe key
takes card payments through a local Stripe stand-in the app runs itself
(adapters/local_stripe.py), so the demo client can pay with 4242 4242 4242 4242.

`start_test_mode` is called once when the app starts (portal_app.py) and decides:

- demo off, or the demo workspace has a real key (any secret key but the demo's): nothing starts;
- several server processes (REFLEX_REDIS_URL set): nothing starts either, each process would
  run its own stand-in; the invoice page says test payments are unavailable;
- else the stand-in starts, the workspace's webhook is registered at it with a fresh signing
  secret, and the workspace's keys become the demo's test keys (sealed at rest as any key).

Once staff save their own Stripe keys in Settings › Payments, the workspace has a real key:
the test mode is off for it (no ribbon, payments go to Stripe) and stays off at later starts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from sqlmodel import Session, select

from portal_app.adapters import local_stripe
from portal_app.adapters.local_stripe import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, LocalStripe, LocalStripeError
from portal_app.db import AnyRow, unit_of_work
from portal_app.models import Workspace, WorkspacePayments, utcnow
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.secret_box import SecretUnavailable, seal, unseal
from portal_app.settings import Settings, get_settings

log = logging.getLogger("portal.payments")

UNAVAILABLE = ("Card payments are unavailable in this demo right now: its local test payments service "
               "did not start. Nothing was charged. Restart the app (make run) to try again.")


def has_real_key(row: WorkspacePayments | AnyRow) -> bool:
    """The workspace has a Stripe secret key of its own (an unreadable stored key counts: it
    is not ours to replace)."""
    try:
        secret = unseal(row.stripe_secret_sealed)
    except SecretUnavailable:
        return True
    return bool(secret) and secret != DEMO_SECRET_KEY


def in_test_mode(row: WorkspacePayments | AnyRow, settings: Settings | None = None) -> bool:
    """The workspace takes (or would take) its card payments in the demo's test mode: what the
    "Test mode" ribbon shows."""
    return (settings or get_settings()).demo and not has_real_key(row)


def workspace_in_test_mode(db: Session, workspace_id: int) -> bool:
    """`in_test_mode` of a workspace (no query at all outside demo mode)."""
    settings = get_settings()
    return settings.demo and in_test_mode(payments_settings(db, workspace_id), settings)


def running() -> bool:
    return local_stripe.active() is not None


def unavailable_reason(row: WorkspacePayments | AnyRow) -> str:
    """Why a workspace in test mode cannot take a card now ("" when it can, or is not in test mode)."""
    return UNAVAILABLE if in_test_mode(row) and not running() else ""


def js_url(secret_key: str) -> str:
    """Where the payment page loads Stripe.js from for this key."""
    return local_stripe.js_url_for(secret_key) or get_settings().stripe_js_url


def _demo_workspace(db: Session) -> Workspace | None:
    return db.exec(select(Workspace).where(Workspace.is_default == True).limit(1)).first()  # noqa: E712


def demo_workspace_in_test_mode(db: Session) -> bool:
    """What `cli seed` tells: the demo workspace will take test payments."""
    ws = _demo_workspace(db)
    return ws is not None and workspace_in_test_mode(db, ws.id)


def start_test_mode(starter: Callable[[], LocalStripe] = local_stripe.start_process,
                    settings: Settings | None = None) -> LocalStripe | None:
    """Starts the stand-in and points the demo workspace at it when it should (see the module's
    docstring); returns it, or None. Never raises for a stand-in that cannot start: the app
    starts anyway, and the invoice page says test payments are unavailable."""
    s = settings or get_settings()
    if not s.demo:
        return None
    with unit_of_work() as db:
        ws = _demo_workspace(db)
        if ws is None or has_real_key(payments_settings(db, ws.id)):
            return None
        ws_public_id, hook = ws.public_id, f"{ws.base_url}/api/stripe/webhook/{ws.public_id}"
    if s.redis_url:
        log.warning("Demo test payments are off: with REFLEX_REDIS_URL set, each server process would run "
                    "its own Stripe stand-in. Use `make run` without Redis to try Pay Now.")
        return None
    try:
        stand_in = starter()
    except LocalStripeError as exc:
        log.warning("Demo test payments are unavailable: the local Stripe stand-in did not start (%s)", exc)
        return None
    try:
        whsec = "whsec_" + secrets.token_hex(24)
        stand_in.register_webhook(f"demo-{ws_public_id}", hook, whsec)
        with unit_of_work() as db:
            ws = _demo_workspace(db)
            row = payments_settings(db, ws.id) if ws is not None else None
            if row is None or has_real_key(row):  # staff connected Stripe meanwhile
                stand_in.stop()
                return None
            row.stripe_publishable_key = DEMO_PUBLISHABLE_KEY
            row.stripe_secret_sealed, row.stripe_webhook_secret_sealed = seal(DEMO_SECRET_KEY), seal(whsec)
            row.stripe_connected_at = row.updated_at = utcnow()
            db.add(row)
    except Exception as exc:
        stand_in.stop()
        log.warning("Demo test payments are unavailable: configuring them failed (%s)", exc)
        return None
    local_stripe.set_active(stand_in)
    log.info("Demo test payments: a local Stripe stand-in runs at %s (no real money moves)", stand_in.url)
    return stand_in


def stop_test_mode() -> None:
    stand_in = local_stripe.active()
    local_stripe.set_active(None)
    if stand_in is not None:
        stand_in.stop()
