"""The contact record's Appointments panel (state/staff/contact_appointments.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import alert_box
from portal_app.components.status import status_badge
from portal_app.state.staff.contact_appointments import ContactAppointmentsState as S


def _row(a) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(rx.text(a["title"], weight="medium", size="2"), status_badge("appointment", a["status"]),
                      spacing="2", align="center", wrap="wrap"),
            rx.text(a["when"], size="1", color_scheme="gray", high_contrast=True),
            rx.cond(a["staff_name"] != "", rx.text("With ", a["staff_name"], size="1", color_scheme="gray",
                                                   high_contrast=True)),
            spacing="1", align="start",
        ),
        style={"listStyle": "none", "padding": "8px 0", "borderBottom": "1px solid var(--gray-a4)"},
    )


def appointments_card(contact_public_id) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Appointments", as_="h2", size="4", id="appointments"), rx.spacer(),
                      rx.link("Calendar", href="/staff/calendar", size="2"), width="100%", align="center"),
            alert_box(S.link_sent, "green"),
            alert_box(S.link_error),
            rx.cond(
                S.appointments.length() > 0,
                rx.el.ul(rx.foreach(S.appointments, _row), aria_label="Appointments of this contact",
                         style={"margin": "0", "padding": "0", "width": "100%"}),
                rx.text("No appointments yet.", size="2", color_scheme="gray", high_contrast=True),
            ),
            rx.hstack(
                rx.button(rx.link(rx.icon("calendar-plus", size=16, aria_hidden="true"), "New appointment",
                                  href="/staff/calendar?new=" + contact_public_id, underline="none"),
                          as_child=True),
                rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send booking link", variant="soft",
                          high_contrast=True, on_click=S.send_booking_link),
                spacing="2", wrap="wrap",
            ),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )
