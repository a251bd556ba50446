"""The New contact dialog starts clean. On main, a failed attempt left the dialog open with its
error in the tab's state: going to another page and back showed it again, with the error of
the old attempt over empty fields."""

from __future__ import annotations

from tests.support.states import call, run_handler


def test_coming_back_to_contacts_shows_no_stale_dialog_or_error(world, db, actors):
    from portal_app.state.staff.contacts import ContactsState

    state, _ = run_handler(ContactsState, "load", (), *actors["staff_a"], "/staff/contacts")
    call(state, "set_create_open", True)
    call(state, "create", {"first_name": "No", "email": "not-an-address"})  # bad input
    assert state.create_open and state.create_error  # the error shows while the dialog is open
    call(state, "load")  # the page again, after a visit elsewhere
    assert (state.create_open, state.create_error) == (False, "")


def test_opening_the_dialog_clears_an_old_error(world, db, actors):
    from portal_app.state.staff.contacts import ContactsState

    state, _ = run_handler(ContactsState, "load", (), *actors["staff_a"], "/staff/contacts")
    call(state, "create", {"email": ""})
    assert state.create_error
    call(state, "set_create_open", True)
    assert state.create_open and state.create_error == ""


def test_a_client_cannot_open_it_to_read_anything(world, db, actors):
    from portal_app.state.staff.contacts import ContactsState

    state, result = run_handler(ContactsState, "create", ({"first_name": "X", "email": "x@example.com"},),
                                *actors["client_a1"], "/staff/contacts")
    assert state._outcome == "denied" and state.total == 0
