"""Contacts list (search, paging, new contact) and the contact record."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.contact_appointments import appointments_card
from portal_app.components.contact_fields import EDITABLE
from portal_app.components.counts import count_label
from portal_app.components.fields import VISUALLY_HIDDEN, alert_box, callout, field
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.components.status import status_badge
from portal_app.components.tables import clipped, clipped_link
from portal_app.components.timeline_ui import timeline_list
from portal_app.state.staff.contacts import ContactRecordState, ContactsState


def _row(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(clipped_link(row["name"], href="/staff/contacts/" + row["public_id"])),
        rx.table.cell(clipped(row["company"]), display=["none", "none", "table-cell"]),
        rx.table.cell(clipped(row["email"]), display=["none", "table-cell"]),
        rx.table.cell(status_badge("contact", row["portal_status"])),
    )


def _new_contact_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16, aria_hidden="true"), "New contact")),
        rx.dialog.content(
            rx.dialog.title("New contact"),
            rx.dialog.description("Add a client. You can invite them to the portal from their record.",
                                  size="2"),
            rx.form(
                rx.vstack(
                    alert_box(ContactsState.create_error),
                    rx.grid(
                        field("First name", "first_name", max_length=limits.FIRST_NAME),
                        field("Last name", "last_name", max_length=limits.LAST_NAME),
                        columns="2", spacing="3", width="100%"),
                    field("Email", "email", type_="email", required=True, max_length=limits.EMAIL),
                    field("Company", "company", max_length=limits.COMPANY),
                    field("Phone", "phone", type_="tel", max_length=limits.PHONE),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True,
                                                  type="button")),
                        rx.button("Create contact", type="submit"),
                        justify="end", width="100%", spacing="3"),
                    spacing="3", width="100%",
                ),
                on_submit=ContactsState.create,
            ),
            # a dialog renders outside the page shell: give it the brand accent (contrast)
            style=brand_vars(),
            max_width="520px",
        ),
        open=ContactsState.create_open,
        on_open_change=ContactsState.set_create_open,
    )


def contacts_page() -> rx.Component:
    return staff_shell(
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.el.label("Search contacts", html_for="contact-search", style=VISUALLY_HIDDEN),
                    rx.input(id="contact-search", name="q", placeholder="Search name, email or company",
                             max_length=limits.SEARCH, width=["100%", "320px"]),
                    rx.button("Search", type="submit", variant="soft", high_contrast=True),
                    spacing="2",
                ),
                on_submit=ContactsState.search,
            ),
            rx.spacer(),
            _new_contact_dialog(),
            width="100%", wrap="wrap", spacing="3",
        ),
        rx.cond(
            ContactsState.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Name"),
                        rx.table.column_header_cell("Company", display=["none", "none", "table-cell"]),
                        rx.table.column_header_cell("Email", display=["none", "table-cell"]),
                        rx.table.column_header_cell("Portal"),
                    )),
                    rx.table.body(rx.foreach(ContactsState.rows, _row)),
                    variant="surface", width="100%",
                ),
                overflow_x="auto", width="100%",
            ),
            callout(rx.cond(ContactsState.query != "", "No contact matches this search.",
                               "No contacts yet. Add your first client with New contact."),
                       color_scheme="gray", role="status"),
        ),
        rx.hstack(
            rx.text(count_label(ContactsState.total, "contact"), " · page ", ContactsState.page, " of ",
                    ContactsState.pages, size="2", color_scheme="gray"),
            rx.spacer(),
            rx.button("Previous", variant="soft", high_contrast=True, disabled=ContactsState.page <= 1,
                      on_click=ContactsState.go_page(-1)),
            rx.button("Next", variant="soft", high_contrast=True, disabled=ContactsState.page >= ContactsState.pages,
                      on_click=ContactsState.go_page(1)),
            width="100%", align="center",
        ),
        title="Contacts",
    )


def _actions_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button("Actions", rx.icon("chevron-down", size=16, aria_hidden="true"),
                                  variant="soft", color_scheme="gray", high_contrast=True)),
        rx.menu.content(
            rx.cond(ContactRecordState.portal_status == "none",
                    rx.menu.item("Send Portal Invite", on_select=ContactRecordState.send_invite)),
            rx.cond(ContactRecordState.portal_status == "invited",
                    rx.fragment(
                        rx.menu.item("Resend invite", on_select=ContactRecordState.send_invite),
                        rx.menu.item("Revoke invite", on_select=ContactRecordState.revoke_invite,
                                     color="red"))),
            rx.cond(ContactRecordState.portal_status == "active",
                    rx.menu.item("Disable portal access", on_select=ContactRecordState.disable_access,
                                 color="red")),
            rx.cond(ContactRecordState.portal_status == "disabled",
                    rx.menu.item("Enable portal access", on_select=ContactRecordState.enable_access)),
        ),
    )


def _portal_card() -> rx.Component:
    s = ContactRecordState
    return rx.card(
        rx.vstack(
            rx.heading("Client portal", as_="h2", size="4"),
            rx.hstack(rx.text("Status:", size="2"), status_badge("contact", s.portal_status), align="center"),
            rx.cond(s.invite_pending, rx.text("Invitation link valid until ", s.invite_expires, size="2",
                                              color_scheme="gray")),
            rx.cond(s.last_login != "", rx.text("Last sign-in: ", s.last_login, size="2", color_scheme="gray")),
            rx.hstack(
                rx.match(
                    s.portal_status,
                    ("none", rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send Portal Invite",
                                       on_click=s.send_invite)),
                    ("invited", rx.hstack(
                        rx.button("Resend invite", on_click=s.send_invite),
                        rx.button("Revoke invite", on_click=s.revoke_invite, variant="soft", color_scheme="red",
                                  high_contrast=True),
                        spacing="2", wrap="wrap")),
                    ("active", rx.button("Disable portal access", on_click=s.disable_access,
                                         variant="soft", color_scheme="red", high_contrast=True)),
                    ("disabled", rx.button("Enable portal access", on_click=s.enable_access)),
                    rx.fragment(),
                ),
                _actions_menu(),
                spacing="2", wrap="wrap",
            ),
            spacing="3", align="start",
        ),
        width="100%",
    )


def _history() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("History", as_="h2", size="4"),
            rx.cond(
                ContactRecordState.history.length() > 0,
                rx.el.ol(
                    rx.foreach(ContactRecordState.history, lambda e: rx.el.li(
                        rx.vstack(
                            rx.hstack(rx.text(e["action"], weight="medium", size="2"),
                                      rx.text(e["at"], size="1", color_scheme="gray"), wrap="wrap",
                                      spacing="2"),
                            rx.text("By ", e["actor"], size="1", color_scheme="gray"),
                            rx.cond(e["detail"] != "", rx.text(e["detail"], size="1",
                                                                style={"overflowWrap": "anywhere"})),
                            spacing="0", align="start",
                        ),
                        style={"padding": "8px 0", "borderBottom": "1px solid var(--gray-a4)"},
                    )),
                    style={"listStyle": "none", "padding": "0", "margin": "0", "width": "100%"},
                    aria_label="Contact history",
                ),
                rx.text("Nothing yet.", size="2", color_scheme="gray"),
            ),
            spacing="3", align="stretch", width="100%",
        ),
        width="100%",
    )


def _timeline() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Timeline", as_="h2", size="4", id="timeline"),
            rx.text("Everything this client's history holds, newest first. Entries marked Internal are never "
                    "shown to the client.", size="2", color_scheme="gray", high_contrast=True),
            timeline_list(ContactRecordState, staff=True, list_id="contact-timeline",
                          empty="Nothing yet: emails, messages and invoice, document and file events appear here."),
            spacing="3", align="stretch", width="100%",
        ),
        width="100%",
    )


def _details_form() -> rx.Component:
    c = ContactRecordState.contact
    fields = [field("Email", "email", type_="email", required=True, default_value=c["email"],
                    max_length=limits.EMAIL, key=c["email"])]
    fields += [field(label, name, default_value=c[name], max_length=max_len,
                     type_="tel" if name == "phone" else "text", key=c[name])
               for label, name, max_len, _ in EDITABLE]
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Details", as_="h2", size="4"),
                alert_box(ContactRecordState.error),
                alert_box(ContactRecordState.saved, "green"),
                rx.grid(*fields, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
                rx.vstack(
                    rx.el.label("Internal notes (never shown to the client)", html_for="f-notes",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.text_area(id="f-notes", name="notes", default_value=c["notes"], key=c["notes"],
                                 max_length=limits.CONTACT_NOTES, rows="4", width="100%"),
                    spacing="1", width="100%",
                ),
                rx.button("Save contact", type="submit"),
                spacing="4", width="100%", align="start",
            ),
            on_submit=ContactRecordState.save,
        ),
        width="100%",
    )


def _files_card() -> rx.Component:
    S = ContactRecordState
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading("Shared files", as_="h2", size="4"), rx.spacer(),
                      rx.link("Open Files", href="/staff/files", size="2"), width="100%", align="center"),
            rx.cond(
                S.shared_files.length() > 0,
                rx.el.ul(rx.foreach(S.shared_files, lambda f: rx.el.li(
                    rx.link(f["name"], href=f["href"], size="2"))), style={"margin": "0", "paddingLeft": "20px"}),
                rx.text("Nothing is shared with this contact by name yet (items shared with all clients are "
                        "not listed here).", size="2", color_scheme="gray", high_contrast=True),
            ),
            rx.cond(S.shared_total > S.shared_files.length(),
                    rx.text("and ", S.shared_total - S.shared_files.length(), " more", size="1", color_scheme="gray",
                            high_contrast=True)),
            rx.cond(S.upload_folder != "",
                    rx.link("Files this client uploaded", href="/staff/files?folder=" + S.upload_folder, size="2")),
            spacing="2", width="100%", align="start",
        ),
        width="100%",
    )


def contact_record_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            ContactRecordState.found,
            rx.vstack(
                rx.link("← All contacts", href="/staff/contacts", size="2"),
                # the record shows a long value whole (the list cuts it): it wraps, even without spaces
                rx.heading(ContactRecordState.contact["name"], as_="h1", size="7", style={"overflowWrap": "anywhere"}),
                rx.text(ContactRecordState.contact["company"], color_scheme="gray", style={"overflowWrap": "anywhere"}),
                rx.button(rx.icon("message-square", size=16, aria_hidden="true"), "Message",
                          on_click=ContactRecordState.message, variant="soft", high_contrast=True, width="fit-content"),
                rx.grid(
                    rx.vstack(_details_form(), spacing="4", width="100%"),
                    rx.vstack(_portal_card(), appointments_card(ContactRecordState.contact["public_id"]), _files_card(),
                              _history(), spacing="4", width="100%"),
                    columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%",
                ),
                _timeline(),
                spacing="3", width="100%", align="stretch",
            ),
            rx.vstack(rx.heading("Contact not found", as_="h1", size="7"),
                      callout(ContactRecordState.error, color_scheme="gray", role="status"),
                      rx.link("Back to contacts", href="/staff/contacts"), spacing="3", align="start"),
        ),
    )
