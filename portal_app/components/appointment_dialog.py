"""The staff appointment dialog (state/staff/appointment_dialog.py), for any state with its mixin:
every input labelled, each refusal beside its field, Cancel appointment asking first."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.confirm import confirmed
from portal_app.components.fields import alert_box
from portal_app.components.forms import LABEL_STYLE, SELECT_STYLE, field_label
from portal_app.components.layout import brand_vars
from portal_app.state.staff.appointment_dialog import ZONES

TEXTAREA_STYLE = {"width": "100%"}


def field_error(message) -> rx.Component:
    """The refusal beside a field, when there is one (a key missing from the errors is
    `undefined` in the browser: falsy, like "")."""
    return rx.cond(message, rx.text(message, size="2", color_scheme="red", high_contrast=True, role="alert"))


def _input(S, label: str, name: str, *, type_: str = "text", max_length: int | None = None,
           required: bool = False, **props) -> rx.Component:
    fid = f"appt-{name}"
    extra = {"max_length": max_length} if max_length else {}
    return rx.vstack(
        field_label(label, fid),
        rx.input(id=fid, name=name, type=type_, default_value=S.dlg_values[name], required=required, size="3",
                 width="100%", aria_invalid=rx.cond(S.dlg_errors[name], "true", "false"), **extra, **props),
        field_error(S.dlg_errors[name]),
        spacing="1", width="100%", align="start",
    )


def _area(S, label: str, name: str, hint: str) -> rx.Component:
    fid = f"appt-{name}"
    return rx.vstack(
        field_label(label, fid),
        rx.text_area(id=fid, name=name, default_value=S.dlg_values[name], max_length=limits.APPOINTMENT_NOTES,
                     rows="3", style=TEXTAREA_STYLE, aria_describedby=f"{fid}-hint"),
        rx.text(hint, id=f"{fid}-hint", size="1", color_scheme="gray", high_contrast=True),
        field_error(S.dlg_errors[name]),
        spacing="1", width="100%", align="start",
    )


def _contact_picker(S) -> rx.Component:
    chosen = S.dlg_contact["public_id"].to(str).bool()
    return rx.vstack(
        rx.cond(
            chosen,
            rx.vstack(
                rx.text("Client", style=LABEL_STYLE),
                rx.hstack(
                    rx.text(S.dlg_contact["name"], weight="medium", id="appt-contact-name"),
                    rx.cond(S.dlg_id == "",
                            rx.button("Change", type="button", variant="soft", size="1", high_contrast=True,
                                      on_click=S.change_dialog_contact, aria_label="Change the client")),
                    spacing="3", align="center",
                ),
                spacing="1", align="start",
            ),
            rx.vstack(
                field_label("Client", "appt-contact-search"),
                rx.input(id="appt-contact-search", name="contact_search", placeholder="Name, email or company",
                         max_length=limits.SEARCH,
                         on_change=S.find_dialog_contacts.debounce(300), width="100%", size="3",
                         aria_describedby="appt-contact-hint", auto_complete="off"),
                rx.text("Type to find a client, then choose one below.", id="appt-contact-hint", size="1",
                        color_scheme="gray", high_contrast=True),
                rx.cond(
                    S.dlg_contact_options.length() > 0,
                    rx.el.ul(rx.foreach(S.dlg_contact_options, lambda c: rx.el.li(
                        rx.button(rx.text(c["name"], as_="span", weight="medium"),
                                  rx.text(c["email"], as_="span", size="1", color_scheme="gray", high_contrast=True),
                                  type="button", variant="ghost", high_contrast=True, size="2",
                                  on_click=S.choose_dialog_contact(c["public_id"])),
                        style={"listStyle": "none", "padding": "2px 0"})),
                        aria_label="Clients to choose from",
                        style={"margin": "0", "padding": "4px 8px", "width": "100%", "maxHeight": "200px",
                               "overflowY": "auto", "border": "1px solid var(--gray-a5)", "borderRadius": "6px"}),
                ),
                spacing="1", width="100%", align="start",
            ),
        ),
        field_error(S.dlg_errors["contact"]),
        spacing="1", width="100%", align="start",
    )


def _select(S, label: str, name: str, options) -> rx.Component:
    fid = f"appt-{name}"
    return rx.vstack(
        field_label(label, fid),
        rx.el.select(*options, id=fid, name=name, default_value=S.dlg_values[name], style=SELECT_STYLE),
        field_error(S.dlg_errors[name]),
        spacing="1", width="100%", align="start",
    )


def appointment_dialog(S) -> rx.Component:
    zones = [rx.el.option(z, value=z) for z in ZONES]
    staff = rx.foreach(S.colleagues, lambda c: rx.el.option(c["name"], value=c["id"]))
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.dlg_id == "", "New appointment", "Edit appointment")),
            rx.dialog.description(
                rx.cond(S.dlg_scheduled, "The client is emailed an invitation for their calendar when you save.",
                        "This appointment was cancelled."), size="2", margin_bottom="12px"),
            rx.form(
                rx.vstack(
                    alert_box(S.dlg_error),
                    _contact_picker(S),
                    _input(S, "Title", "title", max_length=limits.APPOINTMENT_TITLE, required=True),
                    rx.grid(
                        _input(S, "Date", "date", type_="date", required=True),
                        _input(S, "Start", "start", type_="time", required=True, step="300"),
                        _input(S, "End", "end", type_="time", required=True, step="300"),
                        columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
                    ),
                    rx.grid(
                        _select(S, "Time zone", "zone", zones),
                        _select(S, "With", "staff", [staff]),
                        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
                    ),
                    _input(S, "Location or meeting link", "location", max_length=limits.APPOINTMENT_LOCATION),
                    _area(S, "Notes for the client", "client_notes", "The client sees these."),
                    _area(S, "Internal notes", "internal_notes", "Only your team sees these."),
                    rx.flex(
                        rx.cond(
                            (S.dlg_id != "") & S.dlg_scheduled,
                            confirmed(rx.button("Cancel appointment", type="button", variant="soft", color_scheme="red",
                                                high_contrast=True),
                                      "Cancel this appointment?",
                                      "The time becomes free again and the client is told by email. This cannot be "
                                      "undone.", "Cancel appointment", S.cancel_appointment),
                        ),
                        rx.spacer(),
                        rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray",
                                                  high_contrast=True)),
                        rx.cond(S.dlg_scheduled, rx.button(rx.cond(S.dlg_id == "", "Create appointment", "Save changes"),
                                                           type="submit")),
                        spacing="3", width="100%", wrap="wrap", align="center",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=S.save_appointment, key=S.dlg_version.to(str),
            ),
            style=brand_vars(),
            max_width="620px",
        ),
        open=S.dlg_open,
        on_open_change=S.set_dialog_open,
    )
