"""The private calendar feed card (issue 16 item 4), one for the client's Appointments page and
the staff Calendar: make the link, see its webcal:// and web addresses with Copy buttons (shown
once: only the token's hash is stored), reset it behind a confirmation (the old link stops at once).

`state` has has_feed, feed_https, feed_webcal and the event new_feed_link."""

from __future__ import annotations

import reflex as rx

from portal_app.components.appointments_ui import CopyText
from portal_app.components.confirm import confirmed

COPY_STYLE = {"padding": "6px 12px", "borderRadius": "6px", "border": "1px solid var(--gray-a8)",
              "background": "white", "font": "inherit", "fontSize": "14px", "cursor": "pointer",
              "minHeight": "36px"}


def feed_card(S, intro: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Subscribe in your calendar app", as_="h2", size="4"),
            rx.text(intro, size="2"),
            rx.cond(
                S.feed_https != "",
                rx.vstack(
                    rx.el.label("Calendar app link (webcal)", html_for="feed-webcal",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.flex(rx.input(id="feed-webcal", value=S.feed_webcal, read_only=True, width="100%",
                                     flex="1 1 240px"),
                            CopyText.create(text=S.feed_webcal, label="Copy", what="the calendar app link", style=COPY_STYLE),
                            gap="8px", wrap="wrap", width="100%", align="center"),
                    rx.el.label("Web link", html_for="feed-https",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.flex(rx.input(id="feed-https", value=S.feed_https, read_only=True, width="100%",
                                     flex="1 1 240px"),
                            CopyText.create(text=S.feed_https, label="Copy", what="the web link", style=COPY_STYLE),
                            gap="8px", wrap="wrap", width="100%", align="center"),
                    rx.el.a("Open in your calendar app", href=S.feed_webcal,
                            style={"fontSize": "14px", "color": "var(--accent-11)"}),
                    spacing="2", width="100%", align="start",
                ),
            ),
            rx.cond(
                S.has_feed,
                rx.vstack(
                    rx.cond(S.feed_https == "",
                            rx.text("You made a link earlier. For security it is shown only once: reset it to see "
                                    "a new one.", size="2", color_scheme="gray", high_contrast=True)),
                    confirmed(rx.button("Reset link", variant="outline", color_scheme="red"),
                              "Reset your calendar link?",
                              "The current link stops working at once; calendar apps subscribed to it stop "
                              "updating. You get a new link to subscribe again.",
                              "Reset link", S.new_feed_link),
                    spacing="2", align="start",
                ),
                rx.button(rx.icon("link", size=16, aria_hidden="true"), "Create my calendar link",
                          on_click=S.new_feed_link),
            ),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
    )
