"""The 404 page, in the shell of whoever is looking: a client gets the branded portal with a
link home, staff the staff workspace with a link to /staff, anyone else a branded card with a
link to sign in (the staff sign-in under /staff). The production server answers it with
HTTP 404."""

from __future__ import annotations

import reflex as rx

from portal_app.components.layout import centered_card, client_shell, staff_shell, waiting
from portal_app.state.base import BaseState
from portal_app.state.not_found import NotFoundState

HEADING = "Page not found"


def _message() -> rx.Component:
    return rx.text("There is nothing at this address. It may have moved, or the link may be mistyped.",
                   color_scheme="gray")


def _action(label: str, href) -> rx.Component:
    # a link that looks like a button (one focus stop, no button inside a link)
    return rx.box(rx.button(rx.link(label, href=href, underline="none"), as_child=True, size="3"))


def _for_staff() -> rx.Component:
    return staff_shell(_message(), _action("Go to the staff workspace", "/staff"), title=HEADING)


def _for_client() -> rx.Component:
    return client_shell(_message(), _action("Go to your portal home", "/"), title=HEADING)


def _for_visitor() -> rx.Component:
    staff_path = rx.State.router.url.path.startswith("/staff")
    return centered_card(
        rx.heading(HEADING, as_="h1", size="6"),
        _message(),
        _action("Sign in", rx.cond(staff_path, "/staff/login", "/login")),
    )


def not_found_page() -> rx.Component:
    return rx.cond(
        NotFoundState.ready,
        rx.match(BaseState.viewer_kind, ("staff", _for_staff()), ("client", _for_client()), _for_visitor()),
        waiting(),
    )
