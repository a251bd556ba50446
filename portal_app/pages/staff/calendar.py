"""The staff calendar (/staff/calendar): a week of seven day columns (on a phone: the days one
under another) or the list of upcoming appointments; everyone's or mine; times in a chosen zone.
A click on an appointment opens it in the appointment dialog."""

from __future__ import annotations

import reflex as rx

from portal_app.components.appointment_dialog import appointment_dialog
from portal_app.components.feed_card import feed_card
from portal_app.components.fields import VISUALLY_HIDDEN, callout
from portal_app.components.forms import SELECT_STYLE, field_label
from portal_app.components.layout import PHONE_NAV, staff_shell
from portal_app.components.status import status_badge
from portal_app.state.staff.appointment_dialog import ZONES
from portal_app.state.staff.calendar import HOUR_PX
from portal_app.state.staff.calendar import CalendarState as S
from portal_app.state.staff.calendar_feed import StaffFeedState as F

ONE_LINE = {"overflow": "hidden", "textOverflow": "ellipsis", "whiteSpace": "nowrap"}
HOUR_LINES = (f"repeating-linear-gradient(to bottom, var(--gray-a4) 0, var(--gray-a4) 1px, transparent 1px, "
              f"transparent {HOUR_PX}px)")


def _toolbar() -> rx.Component:
    week = S.view == "week"
    return rx.vstack(
        rx.flex(
            rx.hstack(
                rx.button("Week", variant=rx.cond(week, "solid", "soft"), high_contrast=True,
                          aria_pressed=rx.cond(week, "true", "false"), on_click=S.set_view("week")),
                rx.button("List", variant=rx.cond(week, "soft", "solid"), high_contrast=True,
                          aria_pressed=rx.cond(week, "false", "true"), on_click=S.set_view("list")),
                spacing="1", role="group", aria_label="View",
            ),
            rx.cond(week, rx.hstack(
                rx.button(rx.icon("chevron-left", size=16, aria_hidden="true"),
                          rx.el.span("Previous week", style=VISUALLY_HIDDEN), variant="soft", high_contrast=True,
                          on_click=S.go_week(-1), aria_label="Previous week"),
                rx.button("Today", variant="soft", high_contrast=True, on_click=S.this_week),
                rx.button(rx.icon("chevron-right", size=16, aria_hidden="true"),
                          rx.el.span("Next week", style=VISUALLY_HIDDEN), variant="soft", high_contrast=True,
                          on_click=S.go_week(1), aria_label="Next week"),
                rx.heading(S.week_label, as_="h2", size="4", id="week-label", aria_live="polite"),
                spacing="2", align="center", wrap="wrap",
            )),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "New appointment", on_click=S.open_new),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        rx.grid(
            rx.vstack(field_label("Show", "cal-who"),
                      rx.el.select(rx.el.option("Everyone's appointments", value="all"),
                                   rx.el.option("My appointments", value="mine"),
                                   id="cal-who", value=S.who, on_change=S.set_who, style=SELECT_STYLE),
                      spacing="1", width="100%"),
            rx.vstack(field_label("Show times in", "cal-zone"),
                      rx.el.select(*[rx.el.option(z, value=z) for z in ZONES], id="cal-zone", value=S.zone,
                                   on_change=S.set_zone, style=SELECT_STYLE),
                      spacing="1", width="100%"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%", max_width="620px",
        ),
        spacing="3", width="100%",
    )


def _item(item) -> rx.Component:
    cancelled = item["status"] == "cancelled"
    return rx.el.li(
        rx.el.button(
            # (the spaces between the lines: what axe reads as the visible text, word by word)
            # (side by side with another: only the start shows; the name ends with the end time)
            rx.text(item["shown_time"], size="1", weight="bold", as_="span", display="block", style=ONE_LINE), " ",
            rx.text(item["title"], size="1", as_="span", display="block",
                    style={"textDecoration": rx.cond(cancelled, "line-through", "none"), **ONE_LINE}), " ",
            rx.text(item["contact"], size="1", as_="span", display="block", color_scheme="gray", high_contrast=True,
                    style=ONE_LINE), " ",
            rx.cond(item["status"] != "scheduled", rx.text(item["status_label"], size="1", as_="span", weight="bold")),
            on_click=S.open_appointment(item["id"]),
            title=item["title"] + " \u00b7 " + item["contact"],
            # in the order it shows (axe: the visible text is part of the name), then the status
            aria_label=item["name"],
            class_name="cal-item",
            style={"width": "100%", "height": "100%", "textAlign": "left", "padding": "2px 6px", "cursor": "pointer",
                   "border": "none", "borderLeft": "3px solid var(--brand)", "borderRadius": "4px",
                   "background": rx.cond(cancelled, "var(--gray-a3)", "var(--accent-a4)"),
                   "color": "var(--gray-12)", "overflow": "hidden", "font": "inherit"},
        ),
        class_name="cal-slot",
        # side by side with the ones it overlaps: its lane's left and width (state: lanes.lay_out)
        style={"position": "absolute", "left": item["left"], "width": item["width"], "top": item["top"],
               "height": item["height"], "listStyle": "none", "zIndex": "1",
               PHONE_NAV: {"position": "static", "height": "auto", "width": "auto", "marginBottom": "4px"}},
    )


def _day(day) -> rx.Component:
    return rx.el.section(
        rx.box(
            rx.text(day["label"], size="2", weight=rx.cond(day["today"], "bold", "medium")),
            rx.cond(day["today"], rx.badge("Today", size="1", high_contrast=True)),
            padding="6px", height="52px", border_bottom="1px solid var(--gray-a5)",
            background=rx.cond(day["today"], "var(--accent-a3)", "white"),
            style={PHONE_NAV: {"height": "auto", "display": "flex", "gap": "8px"}},
        ),
        rx.el.ul(
            rx.foreach(day["items"], _item),
            style={"position": "relative", "margin": "0", "padding": "0", "height": S.grid_height,
                   "backgroundImage": HOUR_LINES,
                   PHONE_NAV: {"height": "auto", "backgroundImage": "none", "padding": "4px", "minHeight": "8px"}},
            aria_label="Appointments on " + day["label"],
        ),
        aria_label=day["label"],
        style={"minWidth": "0", "borderLeft": "1px solid var(--gray-a5)",
               PHONE_NAV: {"borderLeft": "none", "borderBottom": "1px solid var(--gray-a5)"}},
    )


def _week() -> rx.Component:
    gutter = rx.box(
        rx.box(height="52px", border_bottom="1px solid var(--gray-a5)"),
        rx.box(rx.foreach(S.hours, lambda h: rx.text(h["label"], size="1", color_scheme="gray", high_contrast=True,
                                                      style={"position": "absolute", "top": h["top"], "right": "6px",
                                                             "lineHeight": "1"})),
               position="relative", height=S.grid_height),
        aria_hidden="true",
        style={PHONE_NAV: {"display": "none"}},
    )
    return rx.box(
        gutter,
        rx.foreach(S.days, _day),
        id="calendar-week",
        role="region", aria_label="Week " + S.week_label,
        style={"display": "grid", "gridTemplateColumns": "48px repeat(7, minmax(0, 1fr))", "background": "white",
               "border": "1px solid var(--gray-a5)", "borderRadius": "8px", "overflow": "hidden", "width": "100%",
               PHONE_NAV: {"gridTemplateColumns": "1fr"}},
    )


def _list_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.button(row["day"], variant="ghost", high_contrast=True, size="2",
                                           on_click=S.open_appointment(row["id"]),
                                           aria_label="Open " + row["title"] + " on " + row["day"])),
        rx.table.cell(row["time"], white_space="nowrap"),
        rx.table.cell(row["contact"]),
        rx.table.cell(row["title"], display=["none", "table-cell"]),
        rx.table.cell(row["staff_name"], display=["none", "none", "table-cell"]),
        rx.table.cell(status_badge("appointment", row["status"])),
    )


def _list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Date"),
                    rx.table.column_header_cell("Time"),
                    rx.table.column_header_cell("Client"),
                    rx.table.column_header_cell("Title", display=["none", "table-cell"]),
                    rx.table.column_header_cell("With", display=["none", "none", "table-cell"]),
                    rx.table.column_header_cell("Status"),
                )),
                rx.table.body(rx.foreach(S.rows, _list_row)),
                variant="surface", width="100%",
            ),
            overflow_x="auto", width="100%", id="calendar-list",
        ),
        callout("No upcoming appointments in the next two months.", color_scheme="gray", role="status"),
    )


def calendar_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "",
            callout(S.refusal, color_scheme="gray", role="status"),
            rx.vstack(
                _toolbar(),
                rx.cond(S.view == "week", _week(), _list()),
                rx.cond(S.more, rx.text("Only the first 50 appointments are shown: choose My appointments to see "
                                        "fewer.", size="2", color_scheme="gray", high_contrast=True)),
                rx.link("Availability and booking types", href="/staff/settings/booking", size="2"),
                rx.box(feed_card(F, "A private link that keeps your calendar app (Apple Calendar, Google Calendar, "
                                    "Outlook) up to date with the appointments you are with. Anyone with the link "
                                    "can see them: keep it to yourself."),
                       rx.cond(F.feed_error != "", callout(F.feed_error, color_scheme="red", role="alert")),
                       on_mount=F.load_feed, id="calendar-feed", width="100%", max_width="720px"),
                appointment_dialog(S),
                spacing="4", width="100%", align="stretch",
            ),
        ),
        title="Calendar",
    )
