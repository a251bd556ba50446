"""Sending an invoice emails its client (services/billing/invoice_mail.py, the handler of
events.InvoiceSent), and what staff are told after sending is true in every case.

The world (tests/conftest.py): workspace A "Alpha Studio" (owner staff_a; clients alice =
contact_a1 and bob = contact_a2, both with active portal accounts), workspace B (carol).
The handler is called as the worker's bus calls it, then the queued email is read back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, NotFound, NotSignedIn
from portal_app.models import OutboxMessage, utcnow
from portal_app.services import bus, events
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.accounts.invites import send_invite, set_portal_access
from portal_app.services.billing import invoice_mail
from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice, void_invoice

LINES = [{"description": "Brand workshop", "quantity": "1", "unit_minor": 48_000, "tax_rate": "0"}]


def _invoice(db, world, contact, lines=LINES):
    today = utcnow().date()
    inv = create_invoice(db, world.staff_a, contact_public_id=contact.public_id, lines=lines,
                         issue_date=today, due_date=today + timedelta(days=14))
    send_invoice(db, world.staff_a, inv.public_id)
    db.flush()
    return inv


def _handle(db, workspace_id, inv) -> None:
    """What the worker does with the invoice.sent row (through the bus, as it would)."""
    bus.dispatch(db, workspace_id, "invoice.sent", {"invoice": inv.public_id, "number": inv.number})
    db.flush()


def _emails(db) -> list[dict]:
    import json

    rows = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)).all()
    return [json.loads(m.payload) for m in rows]


def test_the_client_gets_a_branded_email_with_number_amount_due_date_and_link(db, world):
    other = _invoice(db, world, world.contact_a2, [{**LINES[0], "unit_minor": 77_700}])  # bob's
    inv = _invoice(db, world, world.contact_a1)
    _handle(db, world.ws_a.id, inv)
    (mail,) = _emails(db)
    link = f"https://alpha.example.test/invoices/{inv.public_id}"
    assert mail["to"] == "alice@client.example" and mail["from_name"] == "Alpha Studio"
    assert mail["subject"] == f"Invoice {inv.number} from Alpha Studio"
    text, html = mail["text"], mail["html"]
    assert "Hello Alice Client," in text and f"sent you invoice {inv.number}" in text
    assert "Amount due: 480.00 USD" in text
    assert f"Due date: {inv.due_date.strftime('%d %b %Y')}" in text
    assert f"View invoice {inv.number}: {link}" in text
    assert f'href="{link}"' in html and html.startswith("<!doctype html>") and "border-top:4px solid" in html
    for leak in (other.public_id, other.number, "777.00", "bob@", "Bob", "carol"):  # no other client's data
        assert leak not in text and leak not in html


def test_a_resent_invoice_says_what_is_left_to_pay_or_that_it_is_paid(db, world):
    inv = _invoice(db, world, world.contact_a1)
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=18_000, method="bank_transfer")
    _handle(db, world.ws_a.id, inv)
    assert "Amount due: 300.00 USD" in _emails(db)[-1]["text"]
    record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=30_000, method="bank_transfer")
    send_invoice(db, world.staff_a, inv.public_id)
    _handle(db, world.ws_a.id, inv)
    text = _emails(db)[-1]["text"]
    assert "Total: 480.00 USD. It is paid in full: thank you." in text and "Amount due" not in text


def test_send_tells_staff_the_client_is_emailed(db, world):
    inv = _invoice(db, world, world.contact_a1)
    assert invoice_mail.sent_note(db, world.staff_a, inv.public_id) == \
        "An email with a link to it is on its way to alice@client.example."


def _no_email(db, world, inv, note: str) -> None:
    assert invoice_mail.sent_note(db, world.staff_a, inv.public_id) == note
    before = len(_emails(db))
    _handle(db, world.ws_a.id, inv)
    assert len(_emails(db)) == before  # nobody emailed, and the event is still acknowledged


def test_a_contact_without_portal_access_is_not_emailed_and_staff_are_told(db, world):
    dana = create_contact(db, world.staff_a, {"first_name": "Dana", "last_name": "Diaz", "email": "dana@diaz.example"})
    _no_email(db, world, _invoice(db, world, dana),
              "Nobody was emailed: Dana Diaz has no portal access yet. Send them a portal invite; "
              "the invoice will be waiting in their portal.")


def test_an_invited_contact_is_not_emailed_until_they_accept(db, world):
    erin = create_contact(db, world.staff_a, {"first_name": "Erin", "last_name": "Evans", "email": "erin@evans.example"})
    send_invite(db, world.staff_a, erin.public_id)
    assert [m["subject"] for m in _emails(db)] == ["Alpha Studio invited you to your client portal"]
    _no_email(db, world, _invoice(db, world, erin),
              "Nobody was emailed: Erin Evans has not accepted the portal invitation yet. "
              "The invoice will be waiting in their portal once they do.")


def test_a_client_whose_access_is_disabled_is_not_emailed(db, world):
    set_portal_access(db, world.staff_a, world.contact_a1.public_id, False)
    _no_email(db, world, _invoice(db, world, world.contact_a1),
              "Nobody was emailed: portal access is disabled for Alice Client.")


def test_a_contact_without_an_email_address_is_not_emailed(db, world):
    inv = _invoice(db, world, world.contact_a1)
    world.contact_a1.email = ""  # a legacy row: today's contacts always have one
    db.add(world.contact_a1)
    db.flush()
    _no_email(db, world, inv, "Nobody was emailed: Alice Client has no email address.")


def test_an_invoice_voided_before_the_worker_ran_is_not_emailed(db, world):
    inv = _invoice(db, world, world.contact_a1)
    void_invoice(db, world.staff_a, inv.public_id)
    _no_email(db, world, inv, "Nobody was emailed: the invoice is void.")


def test_an_event_naming_another_workspaces_invoice_emails_nobody(db, world, caplog):
    inv = _invoice(db, world, world.contact_a1)
    with caplog.at_level(logging.WARNING, logger="portal.events"):
        _handle(db, world.ws_b.id, inv)  # a forged or misfiled row: workspace B's event
    assert _emails(db) == []
    assert f"names no invoice of workspace {world.ws_b.id}" in caplog.text


def test_the_staff_note_is_for_the_invoices_own_workspace_staff_only(db, world):
    inv = _invoice(db, world, world.contact_a1)
    with pytest.raises(NotFound):
        invoice_mail.sent_note(db, world.staff_b, inv.public_id)
    with pytest.raises(Forbidden):
        invoice_mail.sent_note(db, world.client_a1, inv.public_id)
    with pytest.raises(NotSignedIn):
        invoice_mail.sent_note(db, world.anon, inv.public_id)
    with pytest.raises(NotFound):
        invoice_mail.sent_note(db, world.staff_a, "in_does_not_exist")


def test_the_handler_is_registered_for_invoice_sent():
    assert bus.HANDLERS[events.InvoiceSent][0] is invoice_mail.email_invoice_sent  # then the webhooks
