"""Settings › Booking (/staff/settings/booking): working hours and days off, booking types, and
(owners and admins) the clients' cut-off and reminder times."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.appointment_dialog import field_error
from portal_app.components.fields import alert_box, callout
from portal_app.components.forms import LABEL_STYLE, SELECT_STYLE, field_label
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.state.staff.appointment_dialog import ZONES
from portal_app.state.staff.booking_settings import REMINDERS
from portal_app.state.staff.booking_settings import BookingSettingsState as S

TIME_INPUT = {"type": "time", "step": "300", "size": "2", "width": "120px"}


def _time(name, value, label) -> rx.Component:
    return rx.input(name=name, default_value=value, aria_label=label, **TIME_INPUT)


def _day(row) -> rx.Component:
    k = row["key"]
    return rx.table.row(
        rx.table.row_header_cell(
            rx.el.label(
                rx.checkbox(name="d" + k + "_on", default_checked=row["on"], value="on", aria_label=row["name"]),
                rx.text(row["name"], as_="span", size="2"),
                style={"display": "flex", "gap": "8px", "alignItems": "center"},
            ),
        ),
        rx.table.cell(rx.hstack(_time("d" + k + "_s1", row["s1"], row["name"] + " from"), rx.text("–"),
                                _time("d" + k + "_e1", row["e1"], row["name"] + " until"), spacing="1",
                                align="center")),
        rx.table.cell(rx.hstack(_time("d" + k + "_s2", row["s2"], row["name"] + " second block from"), rx.text("–"),
                                _time("d" + k + "_e2", row["e2"], row["name"] + " second block until"), spacing="1",
                                align="center")),
    )


def _hours_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Working hours", as_="h2", size="4"),
            rx.text("When clients may book you. Tick the days you work; a second block is optional (for a lunch "
                    "break, leave a gap between the blocks).", size="2", color_scheme="gray", high_contrast=True),
            rx.cond(
                S.can_configure & (S.colleagues.length() > 1),
                rx.vstack(field_label("Whose hours", "bk-member"),
                          rx.el.select(rx.foreach(S.colleagues, lambda c: rx.el.option(c["name"], value=c["id"])),
                                       id="bk-member", value=S.member, on_change=S.choose_member,
                                       style=SELECT_STYLE | {"maxWidth": "320px"}),
                          rx.text("As an owner or admin you can set a colleague's hours.", size="1",
                                  color_scheme="gray", high_contrast=True),
                          spacing="1", width="100%"),
            ),
            alert_box(S.hours_saved, "green"),
            rx.form(
                rx.vstack(
                    rx.vstack(field_label("Time zone", "bk-zone"),
                              rx.el.select(*[rx.el.option(z, value=z) for z in ZONES], id="bk-zone", name="zone",
                                           default_value=S.hours_zone, style=SELECT_STYLE | {"maxWidth": "320px"}),
                              field_error(rx.cond(S.hours_field == "zone", S.hours_error, "")),
                              spacing="1", width="100%"),
                    rx.box(
                        rx.table.root(
                            rx.table.header(rx.table.row(rx.table.column_header_cell("Day"),
                                                         rx.table.column_header_cell("Hours"),
                                                         rx.table.column_header_cell("Second block (optional)"))),
                            rx.table.body(rx.foreach(S.days, _day)),
                            variant="surface", size="1",
                        ),
                        overflow_x="auto", width="100%",
                    ),
                    field_error(rx.cond(S.hours_field == "days", S.hours_error, "")),
                    alert_box(rx.cond((S.hours_field != "days") & (S.hours_field != "zone")
                                      & (S.hours_field != "days_off"), S.hours_error, "")),
                    rx.button("Save working hours", type="submit"),
                    spacing="3", width="100%", align="start",
                ),
                on_submit=S.save_hours, key=S.hours_version.to(str), width="100%",
            ),
            rx.heading("Days off", as_="h3", size="3"),
            rx.cond(S.days_off.length() > 0,
                    rx.el.ul(rx.foreach(S.days_off, lambda d: rx.el.li(rx.hstack(
                        rx.text(d, size="2"),
                        rx.button("Remove", size="1", variant="soft", color_scheme="gray", high_contrast=True,
                                  on_click=S.remove_day_off(d), aria_label="Remove day off " + d),
                        spacing="2", align="center"), style={"listStyle": "none", "padding": "2px 0"})),
                        aria_label="Days off", style={"margin": "0", "padding": "0"}),
                    rx.text("No days off listed.", size="2", color_scheme="gray", high_contrast=True)),
            rx.form(
                rx.hstack(
                    rx.vstack(field_label("Add a day off", "bk-day-off"),
                              rx.input(id="bk-day-off", name="day_off", type="date", size="2"), spacing="1"),
                    rx.button("Add", type="submit", variant="soft", high_contrast=True),
                    align="end", spacing="2",
                ),
                on_submit=S.add_day_off, reset_on_submit=True,
            ),
            field_error(rx.cond(S.hours_field == "days_off", S.hours_error, "")),
            rx.text("Days off are saved with Save working hours.", size="1", color_scheme="gray", high_contrast=True),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _type_row(t) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(t["name"], weight="medium")),
        rx.table.cell(t["duration_minutes"], " min"),
        rx.table.cell(t["staff_name"], display=["none", "table-cell"]),
        rx.table.cell(rx.cond(t["active"], rx.badge("Active", color_scheme="green", high_contrast=True),
                              rx.badge("Off", color_scheme="gray", high_contrast=True))),
        rx.table.cell(rx.hstack(
            rx.button("Edit", size="1", variant="soft", high_contrast=True, on_click=S.open_type(t["id"]),
                      aria_label="Edit " + t["name"]),
            rx.cond(t["active"],
                    rx.button("Switch off", size="1", variant="soft", color_scheme="gray", high_contrast=True,
                              on_click=S.deactivate_type(t["id"]), aria_label="Switch off " + t["name"]),
                    rx.button("Switch on", size="1", variant="soft", high_contrast=True,
                              on_click=S.activate_type(t["id"]), aria_label="Switch on " + t["name"])),
            spacing="2")),
    )


def _type_input(label: str, name: str, *, type_: str = "text", max_length: int | None = None, hint: str = "",
                required: bool = False) -> rx.Component:
    fid = f"bt-{name}"
    extra: dict[str, object] = {"max_length": max_length} if max_length else {}
    if hint:
        extra["aria_describedby"] = f"{fid}-hint"
    return rx.vstack(
        field_label(label, fid),
        rx.input(id=fid, name=name, type=type_, default_value=S.type_values[name], size="3", width="100%",
                 required=required, **extra),
        *([rx.text(hint, id=f"{fid}-hint", size="1", color_scheme="gray", high_contrast=True)] if hint else []),
        field_error(S.type_errors[name]),
        spacing="1", width="100%", align="start",
    )


def _type_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.type_id == "", "New booking type", "Edit booking type")),
            rx.dialog.description("What clients can book, and on which terms.", size="2"),
            rx.form(
                rx.vstack(
                    _type_input("Name", "name", max_length=limits.BOOKING_TYPE_NAME, required=True),
                    rx.grid(
                        _type_input("Duration (minutes)", "duration_minutes", type_="number",
                                    max_length=len(str(limits.BOOKING_MAX_MINUTES))),
                        _type_input("Buffer (minutes)", "buffer_minutes", type_="number",
                                    max_length=len(str(limits.BOOKING_MAX_BUFFER)), hint="Free time kept before and after."),
                        _type_input("Minimum notice (minutes)", "min_notice_minutes", type_="number",
                                    max_length=len(str(limits.BOOKING_MAX_NOTICE_MINUTES))),
                        _type_input("Days ahead", "horizon_days", type_="number",
                                    max_length=len(str(limits.BOOKING_MAX_HORIZON_DAYS)), hint="How far ahead clients can book."),
                        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
                    ),
                    _type_input("Location or meeting link", "location", max_length=limits.APPOINTMENT_LOCATION),
                    rx.vstack(field_label("Description", "bt-description"),
                              rx.text_area(id="bt-description", name="description",
                                           default_value=S.type_values["description"],
                                           max_length=limits.BOOKING_TYPE_DESCRIPTION, rows="3", width="100%"),
                              field_error(S.type_errors["description"]), spacing="1", width="100%"),
                    rx.vstack(field_label("With", "bt-staff"),
                              rx.el.select(rx.foreach(S.colleagues, lambda c: rx.el.option(c["name"], value=c["id"])),
                                           id="bt-staff", name="staff", default_value=S.type_values["staff"],
                                           style=SELECT_STYLE),
                              field_error(S.type_errors["staff"]), spacing="1", width="100%"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray",
                                                  high_contrast=True)),
                        rx.button("Save booking type", type="submit"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=S.save_type, key=S.type_version.to(str),
            ),
            style=brand_vars(), max_width="560px",
        ),
        open=S.type_open, on_open_change=S.set_type_open,
    )


def _types_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Booking types", as_="h2", size="4"), rx.spacer(),
                      rx.button(rx.icon("plus", size=16, aria_hidden="true"), "New booking type",
                                on_click=S.open_type("")), width="100%", align="center", wrap="wrap"),
            rx.cond(
                S.types.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Name"), rx.table.column_header_cell("Length"),
                        rx.table.column_header_cell("With", display=["none", "table-cell"]),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell(rx.text("Actions", as_="span")))),
                    rx.table.body(rx.foreach(S.types, _type_row)),
                    variant="surface", width="100%",
                ), overflow_x="auto", width="100%"),
                rx.text("No booking types yet: add one so clients can book a time.", size="2", color_scheme="gray",
                        high_contrast=True),
            ),
            _type_dialog(),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _settings_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Cancellation and reminders", as_="h2", size="4"),
                alert_box(S.settings_saved, "green"),
                alert_box(S.settings_error),
                rx.vstack(field_label("Clients can cancel or reschedule up to (hours before)", "bk-cutoff"),
                          rx.input(id="bk-cutoff", name="cutoff", type="number", default_value=S.cutoff, size="3",
                                   width="120px", min="0", max=str(limits.CANCEL_CUTOFF_HOURS),
                                   max_length=len(str(limits.CANCEL_CUTOFF_HOURS))),
                          spacing="1"),
                rx.el.fieldset(
                    rx.el.legend("Email reminders before an appointment", style=LABEL_STYLE),
                    rx.hstack(*[rx.el.label(rx.checkbox(name=f"reminder_{r}", value="on", aria_label=f"{r} before",
                                                        default_checked=S.reminders.contains(r)),
                                            rx.text(r, as_="span", size="2"),
                                            style={"display": "flex", "gap": "6px", "alignItems": "center"})
                                for r in REMINDERS], spacing="4", wrap="wrap"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.button("Save settings", type="submit"),
                spacing="3", align="start", width="100%",
            ),
            on_submit=S.save_settings, key=S.cutoff + S.reminders.join(","),
        ),
        width="100%",
    )


def booking_settings_page() -> rx.Component:
    return staff_shell(
        rx.link("← Calendar", href="/staff/calendar", size="2"),
        _hours_card(),
        _types_card(),
        rx.cond(S.can_configure, _settings_card(),
                callout("Owners and admins set the cancellation cut-off and the reminder times.", color_scheme="gray",
                        role="status")),
        title="Booking",
    )
