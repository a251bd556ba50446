"""The client's Appointments section: their appointments (/appointments: upcoming first, then
past, in their own zone; Add to calendar, Reschedule, Cancel up to the cut-off; the private
calendar feed) and booking a new one (/appointments/book: a kind, a week, a free time, confirm).
Refused by URL while the business has the section switched off."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.appointments_ui import ZoneProbe
from portal_app.components.confirm import confirmed
from portal_app.components.feed_card import feed_card
from portal_app.components.fields import DOWNLOAD_LINK, alert_box
from portal_app.components.layout import client_shell, not_available
from portal_app.state.portal.appointments import AppointmentsState as S
from portal_app.state.portal.appointments import BookState as B


def _refused(state) -> rx.Component:
    return rx.cond(
        state.refusal != "",
        rx.vstack(not_available(state.refusal), rx.link("Back to your portal home", href="/"),
                  spacing="4", align="start"),
        rx.center(rx.spinner(size="3"), padding="40px"),
    )


def _zone_line(state) -> rx.Component:
    return rx.text("Times are shown in ", rx.text.strong(state.zone), ". ",
                   rx.link("Change your time zone", href="/profile#time-zone", underline="always"), size="2", color_scheme="gray",
                   high_contrast=True)


def _place(row) -> rx.Component:
    return rx.cond(
        row["location"] != "",
        rx.hstack(
            rx.icon("map-pin", size=16, aria_hidden="true"),
            rx.cond(row["location_link"],
                    rx.link("Join the meeting", href=row["location"], is_external=True, rel="noopener noreferrer",
                            aria_label="Join the meeting: " + row["location"]),
                    rx.text(row["location"], size="2")),
            spacing="2", align="center",
        ),
    )


def _actions(row) -> rx.Component:
    return rx.cond(
        row["can_change"],
        rx.flex(
            rx.button(rx.el.a(rx.icon("calendar-plus", size=16, aria_hidden="true"), "Add to calendar",
                              href="/api/appointments/" + row["id"] + ".ics", **DOWNLOAD_LINK,
                              aria_label="Add to calendar: " + row["title"] + " (.ics file)"),
                      as_child=True, variant="outline", color_scheme="gray", high_contrast=True),
            rx.button("Reschedule", variant="outline", on_click=S.open_reschedule(row["id"]),
                      aria_label="Reschedule " + row["title"]),
            confirmed(rx.button("Cancel", color_scheme="red", variant="soft", aria_label="Cancel " + row["title"]),
                      "Cancel this appointment?",
                      rx.text("“", row["title"], "” on ", row["when"], " will be cancelled and the time freed. "
                              "You can book a new one afterwards."),
                      "Cancel appointment", S.cancel(row["id"])),
            gap="8px", wrap="wrap",
        ),
        rx.vstack(
            rx.el.a(rx.icon("calendar-plus", size=16, aria_hidden="true", display="inline",
                            vertical_align="middle"), " Add to calendar",
                    href="/api/appointments/" + row["id"] + ".ics", **DOWNLOAD_LINK,
                    style={"fontSize": "14px", "color": "var(--accent-11)"}),
            rx.text("Changes online were possible until ", row["until"], ". To change or cancel it now, please "
                    "contact ", S.business_name, ".", size="2", color_scheme="gray", high_contrast=True),
            spacing="1", align="start",
        ),
    )


def _appointment(row, upcoming: bool) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading(row["title"], as_="h3", size="4"),
                    rx.cond(row["cancelled"], rx.badge(row["status_label"], color_scheme="gray")),
                    gap="8px", align="center", wrap="wrap",
                ),
                rx.text(rx.icon("clock", size=16, aria_hidden="true", display="inline", vertical_align="middle"),
                        " ", row["when"], size="3", weight="medium"),
                rx.cond(row["with_name"] != "", rx.text("With ", row["with_name"], size="2")),
                _place(row),
                rx.cond(row["notes"] != "", rx.text(row["notes"], size="2", white_space="pre-wrap")),
                *([_actions(row)] if upcoming else []),
                spacing="2", align="start", width="100%",
            ),
            width="100%",
        ),
        list_style="none",
    )


def _reschedule_panel() -> rx.Component:
    return rx.cond(
        S.moving != "",
        rx.card(
            rx.vstack(
                rx.heading("Pick a new time for “", S.moving_title, "”", as_="h2", size="4", id="move-title"),
                alert_box(S.move_error),
                _week_picker(S.move_week_label, S.move_week, S.reschedule_week, S.move_days,
                             lambda slot: rx.button(slot["label"], variant="outline", size="2",
                                                    aria_label="Move to " + slot["aria"],
                                                    on_click=S.reschedule_to(slot["start"])),
                             "No free times this week. Try the next one."),
                rx.button("Keep the current time", variant="soft", color_scheme="gray", high_contrast=True,
                          on_click=S.close_reschedule),
                spacing="3", align="stretch", width="100%",
            ),
            role="region", aria_labelledby="move-title", width="100%",
        ),
    )


def _week_picker(label, week, handler, days, slot_button, empty: str) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.button(rx.icon("chevron-left", size=16, aria_hidden="true"), "Previous week", variant="soft",
                      high_contrast=True, disabled=week <= 0, on_click=handler(-1)),
            rx.text(label, weight="medium", size="3", aria_live="polite"),
            rx.button("Next week", rx.icon("chevron-right", size=16, aria_hidden="true"), variant="soft",
                      high_contrast=True, on_click=handler(1)),
            gap="12px", align="center", wrap="wrap",
        ),
        rx.cond(
            days.length() > 0,
            rx.el.ul(
                rx.foreach(days, lambda d: rx.el.li(
                    rx.vstack(
                        rx.heading(d["day"], as_="h3", size="3"),
                        rx.flex(rx.foreach(d["slots"], slot_button), gap="8px", wrap="wrap"),
                        spacing="2", align="start",
                    ),
                    list_style="none", margin_bottom="12px",
                )),
                padding="0", margin="0",
            ),
            rx.text(empty, size="2"),
        ),
        spacing="3", align="stretch", width="100%",
    )


def _feed_card() -> rx.Component:
    return feed_card(S, "A private link that keeps your calendar app (Apple Calendar, Google Calendar, Outlook) up to "
                        "date with these appointments. Anyone with the link can see them: keep it to yourself.")


def appointments_page() -> rx.Component:
    return client_shell(
        rx.cond(
            S.available,
            rx.vstack(
                rx.cond(~S.zone_known, ZoneProbe.create(on_zone=S.browser_zone)),
                rx.flex(
                    _zone_line(S),
                    rx.button(rx.link(rx.icon("plus", size=16, aria_hidden="true"), "Book an appointment",
                                      underline="none", href="/appointments/book"), as_child=True, size="3"),
                    justify="between", align="center", gap="12px", wrap="wrap", width="100%",
                ),
                alert_box(S.error),
                _reschedule_panel(),
                rx.heading("Upcoming", as_="h2", size="5"),
                rx.cond(S.upcoming.length() > 0,
                        rx.el.ul(rx.foreach(S.upcoming, lambda r: _appointment(r, True)), padding="0", margin="0",
                                 style={"display": "grid", "gap": "12px"}, aria_label="Upcoming appointments"),
                        rx.text("You have no upcoming appointments.", size="2")),
                rx.cond(S.past.length() > 0,
                        rx.vstack(
                            rx.heading("Past and cancelled", as_="h2", size="5"),
                            rx.el.ul(rx.foreach(S.past, lambda r: _appointment(r, False)), padding="0", margin="0",
                                     style={"display": "grid", "gap": "12px"},
                                     aria_label="Past and cancelled appointments"),
                            spacing="3", width="100%", align="stretch",
                        )),
                _feed_card(),
                spacing="4", width="100%", align="stretch",
            ),
            _refused(S),
        ),
        title="Appointments",
    )


def _type_card(t) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.heading(t["name"], as_="h3", size="4"),
                rx.text(t["length"], rx.cond(t["with_name"] != "", rx.fragment(" · with ", t["with_name"])),
                        size="2", color_scheme="gray", high_contrast=True),
                rx.cond(t["description"] != "", rx.text(t["description"], size="2", white_space="pre-wrap")),
                rx.button("Choose", on_click=B.choose_type(t["id"]), aria_label="Choose " + t["name"]),
                spacing="2", align="start",
            ),
            width="100%",
        ),
        list_style="none",
    )


def _confirm_form() -> rx.Component:
    return rx.cond(
        B.chosen_slot != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("Confirm your appointment", as_="h2", size="4", id="confirm-title"),
                    rx.text(rx.text.strong(B.chosen_name), " on ", B.chosen_label, " (", B.zone, ")", size="3"),
                    rx.el.label("What would you like to talk about? (optional)", html_for="f-notes",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.text_area(id="f-notes", name="notes", max_length=limits.APPOINTMENT_NOTES, rows="3",
                                 width="100%"),
                    rx.cond(B.error_field == "notes", rx.text(B.error, size="2", color_scheme="red", role="alert")),
                    rx.flex(
                        rx.button("Book this time", type="submit", size="3"),
                        rx.button("Pick another time", type="button", variant="soft", color_scheme="gray",
                                  high_contrast=True, size="3", on_click=B.change_week(0)),
                        gap="8px", wrap="wrap",
                    ),
                    spacing="3", align="start", width="100%",
                ),
                on_submit=B.confirm,
            ),
            role="region", aria_labelledby="confirm-title", width="100%",
        ),
    )


def book_page() -> rx.Component:
    return client_shell(
        rx.cond(
            B.available,
            rx.vstack(
                rx.link("← Back to your appointments", href="/appointments", size="2"),
                _zone_line(B),
                rx.cond(B.error_field != "notes", alert_box(B.error)),
                rx.cond(
                    B.chosen_type == "",
                    rx.vstack(
                        rx.heading("What kind of appointment?", as_="h2", size="5"),
                        rx.cond(B.types.length() > 0,
                                rx.el.ul(rx.foreach(B.types, _type_card), padding="0", margin="0",
                                         style={"display": "grid", "gap": "12px",
                                                "gridTemplateColumns": "repeat(auto-fill, minmax(260px, 1fr))"}),
                                rx.text("Nothing can be booked online right now. Please contact ", B.business_name,
                                        " to arrange a time.", size="2")),
                        spacing="3", width="100%", align="stretch",
                    ),
                    rx.vstack(
                        rx.flex(rx.heading("Pick a time for “", B.chosen_name, "”", as_="h2", size="5"),
                                rx.button("Choose another kind", variant="ghost", on_click=B.back_to_types),
                                justify="between", align="center", gap="8px", wrap="wrap", width="100%"),
                        _confirm_form(),
                        _week_picker(B.week_label, B.week, B.change_week, B.days,
                                     lambda slot: rx.button(slot["label"], size="2",
                                                            variant=rx.cond(B.chosen_slot == slot["start"], "solid",
                                                                            "outline"),
                                                            aria_label="Book " + slot["aria"],
                                                            aria_pressed=B.chosen_slot == slot["start"],
                                                            on_click=B.choose_slot(slot["start"], slot["aria"])),
                                     "No free times this week. Try the next one."),
                        spacing="4", width="100%", align="stretch",
                    ),
                ),
                spacing="4", width="100%", align="stretch",
            ),
            _refused(B),
        ),
        title="Book an appointment",
    )
