"""The markers live pages compare (services/billing/invoice_views.py): they change when what the
page shows changes, and they are scoped like the pages themselves."""

from __future__ import annotations

import pytest

from portal_app.errors import Forbidden, NotFound
from portal_app.services.billing import invoice_views, invoices

LINES = [{"description": "Work", "quantity": "1", "unit_minor": 5_000, "tax_rate": "0"}]


def _sent(db, world):
    inv = invoices.create_invoice(db, world.staff_a, contact_public_id=world.contact_a1.public_id, lines=LINES)
    invoices.send_invoice(db, world.staff_a, inv.public_id)
    db.flush()
    return inv


def test_the_detail_marker_changes_when_the_client_views_and_when_money_comes_in(db, world):
    inv = _sent(db, world)
    first = invoice_views.detail_marker(db, world.staff_a, inv.public_id)
    assert invoice_views.detail_marker(db, world.staff_a, inv.public_id) == first  # stable while nothing happens
    invoices.mark_viewed(db, world.client_a1, inv.public_id)
    viewed = invoice_views.detail_marker(db, world.staff_a, inv.public_id)
    assert viewed != first
    invoices.record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=1_000, method="cash")
    paid = invoice_views.detail_marker(db, world.staff_a, inv.public_id)
    assert paid != viewed and paid[:3] == ("partially_paid", 1_000, 4_000)


def test_markers_are_scoped_like_the_pages(db, world):
    inv = _sent(db, world)
    assert invoice_views.detail_marker(db, world.client_a1, inv.public_id)[0] == "sent"
    with pytest.raises(NotFound):
        invoice_views.detail_marker(db, world.client_a2, inv.public_id)
    with pytest.raises(NotFound):
        invoice_views.detail_marker(db, world.staff_b, inv.public_id)
    assert [r[0] for r in invoice_views.rows_marker(db, world.staff_a, [inv.public_id])] == [inv.public_id]
    assert invoice_views.rows_marker(db, world.staff_b, [inv.public_id]) == []  # another workspace's id: nothing
    with pytest.raises(Forbidden):
        invoice_views.rows_marker(db, world.client_a1, [inv.public_id])
    assert invoice_views.rows_marker(db, world.staff_a, []) == []


def test_a_row_marker_reads_at_most_a_page_of_ids(db, world):
    ids = [_sent(db, world).public_id for _ in range(invoice_views.PER_PAGE + 3)]
    assert len(invoice_views.rows_marker(db, world.staff_a, ids)) == invoice_views.PER_PAGE
