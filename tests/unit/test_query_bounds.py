"""A page load runs a bounded number of SQL queries that does not grow with the data
(docs/design.md §7): the contacts list, a contact record, the client home, profile, invoices
(the list and one), documents and the staff invoice list are loaded with few and with many
rows, and their query counts must be equal and at most MOST's."""

from __future__ import annotations

import pytest

from tests.support.queries import count_queries
from tests.support.states import HOST_A, run_handler


def _add_contacts(db, staff, n: int, prefix: str) -> None:
    from portal_app.services.accounts.contacts import create_contact
    from portal_app.services.accounts.invites import send_invite

    for i in range(n):
        contact = create_contact(db, staff, {"first_name": f"{prefix}{i}", "last_name": "Load",
                                             "email": f"{prefix}{i}@load.example"})
        if i % 3 == 0:
            send_invite(db, staff, contact.public_id)
    db.commit()


def _sessions(db, world):
    from portal_app.services.accounts.auth import start_client_session, start_staff_session

    staff = start_staff_session(db, world.owner_user)
    client = start_client_session(db, world.account_a1)
    db.commit()
    return staff, client


def _invoice(db, world, contact, lines: int = 1):
    from portal_app.services.billing.invoices import create_invoice, send_invoice

    inv = create_invoice(db, world.staff_a, contact_public_id=contact.public_id,
                         lines=[{"description": f"Work {i}", "quantity": "1", "unit_minor": 10_000 + i, "tax_rate": "5"}
                                for i in range(lines)])
    send_invoice(db, world.staff_a, inv.public_id)
    return inv


def _add_billing(db, world, target, n: int) -> None:
    """n more invoices (many lines each, half of them part paid), and more payments on `target`."""
    from portal_app.services.billing.invoices import record_manual_payment

    for i in range(n):
        inv = _invoice(db, world, world.contact_a1 if i % 3 else world.contact_a2, lines=6)
        if i % 2:
            record_manual_payment(db, world.staff_a, inv.public_id, amount_minor=1_000, method="cash")
    for _ in range(12):
        record_manual_payment(db, world.staff_a, target.public_id, amount_minor=100, method="bank_transfer",
                              reference="TR")
    db.commit()


# The statements one load of a page runs (the context check included): what a page may
# never exceed (lower them when a page needs fewer; never raise them).
MOST = {"contacts": 2, "record": 4, "home": 4, "profile": 3, "invoices": 3, "invoice": 4, "documents": 2,
        "staff invoices": 3}


@pytest.mark.parametrize("page", list(MOST))
def test_page_queries_do_not_grow_with_data(world, db, page):
    from portal_app.services.audit import record
    from portal_app.state.portal.documents import ClientDocumentsState
    from portal_app.state.portal.home import HomeState
    from portal_app.state.portal.invoices import ClientInvoicesState, ClientInvoiceState
    from portal_app.state.portal.profile import ProfileState
    from portal_app.state.staff.contacts import ContactRecordState, ContactsState
    from portal_app.state.staff.invoice_list import StaffInvoicesState
    from tests.support.docs import sent

    staff_cookie, client_cookie = _sessions(db, world)
    target = _invoice(db, world, world.contact_a1, lines=3)
    sent(db, world)
    db.commit()
    record_path = f"/staff/contacts/{world.contact_a1.public_id}"
    cases = {
        "contacts": (ContactsState, staff_cookie, "/staff/contacts"),
        "record": (ContactRecordState, staff_cookie, record_path),
        "home": (HomeState, client_cookie, "/"),
        "profile": (ProfileState, client_cookie, "/profile"),
        "invoices": (ClientInvoicesState, client_cookie, "/invoices"),
        "invoice": (ClientInvoiceState, client_cookie, f"/invoices/{target.public_id}"),
        "documents": (ClientDocumentsState, client_cookie, "/documents"),
        "staff invoices": (StaffInvoicesState, staff_cookie, "/staff/invoices"),
    }
    state_cls, cookie, path = cases[page]

    def load() -> int:
        # once first: an event's context (workspace, actor, branding) is cached after a tab's
        # first event (state/base.event_context); what is counted is every later event's
        run_handler(state_cls, "load", (), HOST_A, cookie, path)
        with count_queries() as counter:
            state, _ = run_handler(state_cls, "load", (), HOST_A, cookie, path)
        assert state._outcome == "ok"
        return counter["n"]

    few = load()
    _add_contacts(db, world.staff_a, 60, "many")
    for i in range(80):  # a long history on the record
        record(db, world.ws_a.id, world.staff_a, "contact.updated", "contact", world.contact_a1.public_id,
               {"phone": [str(i), str(i + 1)]})
    _add_billing(db, world, target, 30)
    for _ in range(5):
        sent(db, world)
    db.commit()
    many = load()
    assert many == few, f"{page}: {few} queries with little data, {many} with more"
    assert many <= MOST[page], f"{page} runs {many} queries"
