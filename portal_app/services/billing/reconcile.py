"""`reconcile-payments`: ask Stripe for a workspace's PaymentIntents since a date and book
any successful one the webhooks missed. Booking goes through the ledger's dedupe key
(pi:<id>), so running it twice changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from portal_app.adapters.payments import make_gateway
from portal_app.models import Invoice, Workspace
from portal_app.services import audit
from portal_app.services.billing import ledger
from portal_app.services.billing.invoices import payments_settings
from portal_app.services.secret_box import unseal


@dataclass
class ReconcileResult:
    workspace: str
    checked: int = 0
    repaired: int = 0
    skipped: int = 0      # not ours (another app on the account, another workspace, unknown invoice)
    note: str = ""


def reconcile_workspace(db: Session, ws: Workspace, since: datetime, gateway=None) -> ReconcileResult:
    result = ReconcileResult(workspace=ws.public_id)
    settings = payments_settings(db, ws.id)
    secret = unseal(settings.stripe_secret_sealed)
    if not secret and gateway is None:
        result.note = "Stripe is not connected"
        return result
    gateway = gateway or make_gateway(secret)
    for pi in gateway.list_payment_intents(int(since.replace(tzinfo=since.tzinfo or UTC).timestamp())):
        result.checked += 1
        if pi.status != "succeeded":
            continue
        meta = pi.metadata or {}
        inv = db.exec(select(Invoice).where(Invoice.workspace_id == ws.id,
                                            Invoice.public_id == str(meta.get("invoice", "")))).first()
        if meta.get("workspace") != ws.public_id or inv is None or pi.currency.upper() != inv.currency:
            result.skipped += 1
            continue
        amount = pi.amount_received or pi.amount
        entry = ledger.book(db, inv, "payment", amount, dedupe_key=f"pi:{pi.id}", method="card",
                            stripe_payment_intent_id=pi.id, reference=pi.id, note="booked by reconcile-payments")
        if entry is not None:
            result.repaired += 1
            audit.record(db, ws.id, None, "invoice.payment_reconciled", "invoice", inv.public_id,
                         {"payment_intent": pi.id, "amount": amount})
    return result
