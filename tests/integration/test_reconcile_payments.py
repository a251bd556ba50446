"""reconcile-payments against localstripe: a payment the webhooks missed is booked once;
running it again changes nothing; payments that are not this workspace's are left alone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from portal_app.adapters.payments import StripeGateway
from portal_app.models import Invoice, LedgerEntry
from portal_app.services.billing import invoices
from portal_app.services.billing.reconcile import reconcile_workspace
from tests.support.stripe import VISA


def _invoice(db, world, amount: int) -> Invoice:
    inv = invoices.create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                                  lines=[{"description": "Design work", "quantity": "1", "unit_minor": amount,
                                          "tax_rate": "0"}])
    invoices.send_invoice(db, world.staff_a, inv.public_id)
    db.commit()
    return inv


def test_missed_payment_is_repaired_once(db, world, localstripe_url):
    import stripe

    gateway = StripeGateway("sk_test_reconcile", api_base=localstripe_url)
    client = stripe.StripeClient("sk_test_reconcile", base_addresses={"api": localstripe_url})
    since = datetime.now(UTC) - timedelta(minutes=1)
    inv = _invoice(db, world, 12500)
    pm = client.v1.payment_methods.create({"type": "card", "card": {"number": VISA, "exp_month": 12,
                                                                     "exp_year": 2030, "cvc": "123"}})
    paid = gateway.create_payment_intent(12500, "usd", metadata={"workspace": world.ws_a.public_id,
                                                                 "invoice": inv.public_id},
                                         idempotency_key=f"att_{time.time_ns()}", payment_method=pm.id, confirm=True)
    # someone else's payment on the same Stripe account (another workspace, no invoice here)
    gateway.create_payment_intent(999, "usd", metadata={"workspace": world.ws_b.public_id, "invoice": "in_x"},
                                  idempotency_key=f"att_{time.time_ns()}", payment_method=pm.id, confirm=True)

    first = reconcile_workspace(db, world.ws_a, since, gateway=gateway)
    db.commit()
    assert first.repaired == 1 and first.skipped >= 1
    db.refresh(inv)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("paid", 12500, 0)

    second = reconcile_workspace(db, world.ws_a, since, gateway=gateway)
    db.commit()
    assert second.repaired == 0
    rows = db.exec(select(LedgerEntry).where(LedgerEntry.invoice_id == inv.id)).all()
    assert [(r.kind, r.amount_minor, r.dedupe_key) for r in rows] == [("payment", 12500, f"pi:{paid.id}")]


def test_without_stripe_nothing_is_asked(db, world):
    result = reconcile_workspace(db, world.ws_a, datetime.now(UTC))
    assert result.note == "Stripe is not connected" and result.checked == 0


def test_cli_refuses_a_bad_date(capsys):
    from portal_app.cli import main

    assert main(["reconcile-payments", "--since", "last tuesday"]) == 2
    assert "--since must be a date" in capsys.readouterr().err
