"""The client's home: what is shared with them, section by section."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import callout
from portal_app.components.layout import client_shell
from portal_app.state.portal.home import HomeState


def _card(card: dict) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.heading(card["label"], as_="h2", size="4"),
                rx.text(card["empty"], color_scheme="gray", size="2"),
                spacing="2", align="start",
            ),
            width="100%", height="100%",
        ),
        href=card["href"], underline="none", color_scheme="gray", high_contrast=True,
    )


def home() -> rx.Component:
    return client_shell(
        rx.cond(HomeState.welcome,
                callout("Your portal is ready. Welcome!", icon="party-popper", color_scheme="green",
                           role="status")),
        rx.heading("Hello, ", HomeState.greeting_name, as_="h1", size="7"),
        rx.text("Here is everything ", HomeState.business_name, " has shared with you.",
                color_scheme="gray"),
        rx.cond(
            HomeState.cards.length() > 0,
            rx.grid(rx.foreach(HomeState.cards, _card), columns=rx.breakpoints(initial="1", sm="2", md="3"),
                    spacing="4", width="100%"),
            callout("Nothing is shared in this portal yet.", color_scheme="gray", role="status"),
        ),
        rx.card(
            rx.hstack(
                rx.vstack(rx.heading("Your details", as_="h2", size="4"),
                          rx.text("Keep your phone number and address up to date.", size="2",
                                  color_scheme="gray"), spacing="1", align="start"),
                rx.spacer(),
                rx.link("Open profile", href="/profile", weight="medium"),
                align="center", width="100%", wrap="wrap", spacing="3",
            ),
        ),
    )
