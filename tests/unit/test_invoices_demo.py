"""The demo workspace `make run` seeds shows the invoices section working at once."""

from __future__ import annotations

from sqlmodel import select

from portal_app.models import Invoice
from portal_app.services.portal.demo import seed_demo


def test_demo_client_has_invoices_in_each_state(db):
    assert seed_demo(db, "http://localhost:3000", "staff-pass-123", "client-pass-123") is not None
    invoices = db.exec(select(Invoice).order_by(Invoice.number)).all()
    assert [i.number for i in invoices] == ["INV-0001", "INV-0002", "INV-0003", "INV-0004"]
    assert [i.status for i in invoices] == ["sent", "partially_paid", "paid", "sent"]
    assert [i.is_overdue() for i in invoices] == [False, False, False, True]
    assert all(i.total_minor == i.paid_minor + i.balance_minor for i in invoices)
