"""A client never sees the staff area: every staff page's load, for a signed-in client, sends
them to their portal home ("/") before the page's handler reads anything (BaseState._kept_out,
access.may_enter_staff_area), and the staff shell draws nothing until the viewer is staff.
On main a client's /staff/contacts drew the staff shell ("Staff" badge, sidebar, "No contacts
yet…") with only a refusal notice."""

from __future__ import annotations

import json

import pytest

from portal_app.access import is_staff_area
from tests.support.states import run_handler


def staff_pages():
    from portal_app.portal_app import PAGES

    return [(route, on_load) for route, _component, on_load, _title in PAGES if is_staff_area(route)]


def redirect_path(result) -> str | None:
    if result is None or not hasattr(result, "args"):
        return None
    args = {str(k): v for k, v in result.args}
    return getattr(args.get("path"), "_var_value", None)


def _concrete(route: str) -> str:
    return route.replace("[invoice_id]", "inv_x").replace("[contact_id]", "ct_x").replace("[document_id]", "doc_x")


def _run_load(on_load, route, host, cookie):
    from portal_app import portal_app as app_module

    cls = getattr(app_module, on_load.fn.__qualname__.split(".")[0])  # the page's state class
    return run_handler(cls, "load", (), host, cookie, _concrete(route))


def test_the_staff_area_is_every_staff_page_but_sign_in_forgot_password_and_join():
    assert is_staff_area("/staff") and is_staff_area("/staff/") and is_staff_area("/staff/contacts/ct_1")
    assert is_staff_area("/staff/no-such-page")
    for open_page in ("/staff/login", "/staff/forgot-password", "/staff/join", "/staff/login/"):
        assert not is_staff_area(open_page)
    assert not is_staff_area("/staffing") and not is_staff_area("/") and not is_staff_area("/invoices")


@pytest.mark.parametrize("client", ["client_a1", "client_a2"])
def test_a_client_at_any_staff_page_is_sent_home_with_nothing_of_the_staff_area(world, db, actors, client):
    host, cookie = actors[client]
    pages = staff_pages()
    assert len(pages) >= 15
    secrets = [world.contact_a2.email if client == "client_a1" else world.contact_a1.email, world.owner_user.email]
    for route, on_load in pages:
        state, result = _run_load(on_load, route, host, cookie)
        assert redirect_path(result) == "/", f"{route}: {result!r}"
        assert state._outcome == "denied", route
        assert state.viewer_kind == "client", route  # the staff shell draws nothing for a client
        # what a hydrate would send the browser: no other contact, no staff member
        sent = json.dumps(state._get_root_state().dict(), default=str)
        for secret in secrets:
            assert secret not in sent, f"{route} sent {secret}"


def test_staff_still_enter_and_anonymous_visitors_are_asked_to_sign_in(world, db, actors):
    from portal_app.state.staff.contacts import ContactsState

    state, result = run_handler(ContactsState, "load", (), *actors["staff_a"], "/staff/contacts")
    assert state._outcome == "ok" and redirect_path(result) is None and state.total >= 2
    state, result = run_handler(ContactsState, "load", (), *actors["anon"], "/staff/contacts")
    assert state._outcome == "signin" and redirect_path(result).startswith("/staff/login")


def test_a_client_on_their_own_pages_is_not_sent_anywhere(world, db, actors):
    from portal_app.state.portal.home import HomeState

    state, result = run_handler(HomeState, "load", (), *actors["client_a1"], "/")
    assert state._outcome == "ok" and redirect_path(result) is None


def test_the_staff_shell_draws_nothing_until_the_viewer_is_staff():
    from portal_app.components.layout import staff_shell

    rendered = str(staff_shell(title="Contacts"))
    assert "viewer_kind" in rendered and "Staff navigation" in rendered
