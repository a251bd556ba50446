"""Pieces of the pages reached from emailed links: choosing a password, and a dead link."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import callout, field
from portal_app.components.native_form import hidden, native_form


def choose_password_form(action: str, token, button: str, first_label: str = "Password",
                         username=None) -> rx.Component:
    """Posts natively to an api/ route, which answers with the session cookie. `username`
    (the account's email) lets password managers file the new password correctly."""
    extra = []
    if username is not None:
        extra.append(rx.el.input(type="email", name="username", value=username, auto_complete="username",
                                 read_only=True, hidden=True, aria_hidden="true"))
    return native_form(
        rx.vstack(
            *extra,
            hidden("token", token),
            field(first_label, "password", type_="password", required=True, autocomplete="new-password",
                  hint="At least 10 characters.", max_length=limits.PASSWORD),
            field("Confirm password", "confirm", type_="password", required=True,
                  autocomplete="new-password", max_length=limits.PASSWORD),
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="4", width="100%",
        ),
        action=action, method="post",
    )


def dead_link(message, link_label: str, href) -> rx.Component:
    return rx.vstack(
        rx.heading("This link cannot be used", as_="h1", size="6"),
        callout(message, color_scheme="amber", role="alert", icon="triangle-alert"),
        rx.link(link_label, href=href),
        spacing="4", width="100%", align="stretch",
    )


def link_page(status, valid: rx.Component, dead: rx.Component) -> rx.Component:
    """A page opened from an emailed link: checking → the form, or why the link is dead."""
    from portal_app.components.layout import centered_card

    return centered_card(
        rx.cond(
            status == "checking",
            rx.center(rx.spinner(size="3"), padding="24px"),
            rx.cond(status == "valid", valid, dead),
        ),
    )
