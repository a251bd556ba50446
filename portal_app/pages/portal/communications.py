"""The client's Communications section: their history with the business (chat messages, the
emails the portal sent them, what happened to their invoices, documents and files)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.layout import client_shell, not_available
from portal_app.components.timeline_ui import timeline_list
from portal_app.state.portal.communications import CommunicationsState as S


def communications_page() -> rx.Component:
    return client_shell(
        rx.cond(
            S.available,
            rx.vstack(
                rx.text("Your messages, the emails we sent you, and what happened to your invoices, documents and "
                        "files, newest first.", size="2", color_scheme="gray", high_contrast=True),
                rx.card(timeline_list(S, staff=False, list_id="communications-list",
                                      empty="Nothing here yet. Emails, messages and updates about your invoices, "
                                            "documents and files will appear here."),
                        width="100%"),
                spacing="4", width="100%", align="stretch",
            ),
            rx.cond(
                S.refusal != "",
                rx.vstack(not_available(S.refusal),
                          rx.link("Back to your portal home", href="/"), spacing="4", align="start"),
                rx.center(rx.spinner(size="3"), padding="40px"),
            ),
        ),
        title="Communications",
    )
