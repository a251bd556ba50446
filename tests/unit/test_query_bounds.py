"""A page load runs a bounded number of SQL queries that does not grow with the data
(DESIGN.md §7): the contacts list, a contact record and the client home are loaded with
few and with many rows, and their query counts must be equal and small."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal_app.db import get_engine
from tests.support.states import HOST_A, run_handler


@contextmanager
def count_queries():
    counter = {"n": 0}

    def before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


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


@pytest.mark.parametrize("page", ["contacts", "record", "home", "profile"])
def test_page_queries_do_not_grow_with_data(world, db, page):
    from portal_app.services.audit import record
    from portal_app.state.portal.home import HomeState
    from portal_app.state.portal.profile import ProfileState
    from portal_app.state.staff.contacts import ContactRecordState, ContactsState

    staff_cookie, client_cookie = _sessions(db, world)
    record_path = f"/staff/contacts/{world.contact_a1.public_id}"
    cases = {
        "contacts": (ContactsState, staff_cookie, "/staff/contacts"),
        "record": (ContactRecordState, staff_cookie, record_path),
        "home": (HomeState, client_cookie, "/"),
        "profile": (ProfileState, client_cookie, "/profile"),
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
    db.commit()
    many = load()
    assert many == few, f"{page}: {few} queries with little data, {many} with more"
    assert many <= 20, f"{page} runs {many} queries"
