"""Stripe does not promise delivery order: an invoice's status must not depend on it."""

from __future__ import annotations

import itertools

from portal_app.services.billing import invoices, ledger


def _invoice(db, world):
    inv = invoices.create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id,
                                  lines=[{"description": "Work", "quantity": "1", "unit_minor": 10000,
                                          "tax_rate": "0"}])
    return invoices.send_invoice(db, world.staff_a, inv.public_id)


MOVES = [("payment", 10000, "pi:1"), ("refund", 2500, "re:1"), ("dispute", 1000, "dp:1"),
         ("dispute_won", 1000, "dpw:1")]


def test_every_delivery_order_ends_in_the_same_state(db, world):
    outcomes = set()
    for order in itertools.permutations(MOVES):
        inv = _invoice(db, world)
        for kind, amount, key in order:
            ledger.book(db, inv, kind, amount, dedupe_key=f"{inv.public_id}:{key}")
        db.refresh(inv)
        outcomes.add((inv.status, inv.paid_minor, inv.balance_minor))
    assert outcomes == {("paid", 7500, 2500)}
