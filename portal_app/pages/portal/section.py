"""Invoices, Documents, Files, Appointments and Communications.

Until their features land these pages say honestly that nothing is shared yet. A section
the business disabled is refused (the state asks the access layer on every load)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.layout import client_shell, not_available
from portal_app.state.portal.section import SectionState


def section_page() -> rx.Component:
    return client_shell(
        rx.cond(
            SectionState.available,
            rx.vstack(
                rx.heading(SectionState.label, as_="h1", size="7"),
                rx.card(
                    rx.vstack(
                        rx.icon("inbox", size=32, color="var(--gray-9)", aria_hidden="true"),
                        rx.text(SectionState.empty_text, size="3"),
                        rx.text("When ", SectionState.business_name, " shares something here, you will see it on this page.",
                                size="2", color_scheme="gray"),
                        align="center", spacing="2", padding="32px 8px", text_align="center",
                    ),
                    width="100%",
                ),
                spacing="4", width="100%", align="stretch",
            ),
            rx.cond(
                SectionState.refusal != "",
                rx.vstack(rx.heading("Not available", as_="h1", size="7"), not_available(SectionState.refusal),
                          rx.link("Back to your portal home", href="/"), spacing="4", align="start"),
                rx.center(rx.spinner(size="3"), padding="40px"),
            ),
        ),
    )
