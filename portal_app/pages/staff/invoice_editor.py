"""Staff › Invoices › the editor for a new invoice or a draft: client, details, lines,
discount, notes and terms, with a live totals preview."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.forms import LABEL_STYLE, SELECT_STYLE, field_error, field_label, money_row
from portal_app.components.layout import staff_shell
from portal_app.components.line_items import line_items
from portal_app.services.billing.money import CURRENCIES
from portal_app.state.staff.invoice_editor import InvoiceEditorState as E


def _contact_picker() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Client", as_="h2", size="4"),
            rx.cond(
                E.contact.contains("public_id"),
                rx.hstack(
                    rx.icon("user", size=18, aria_hidden="true"),
                    rx.vstack(rx.text(E.contact["name"], weight="medium"),
                              rx.text(E.contact["email"], size="1", color_scheme="gray", high_contrast=True),
                              spacing="0"),
                    rx.spacer(),
                    rx.cond(E.invoice_id == "",
                            rx.button("Change", type="button", size="1", variant="soft", high_contrast=True,
                                      on_click=E.change_contact)),
                    align="center", width="100%", spacing="3",
                ),
                rx.vstack(
                    rx.el.label("Find a client", html_for="inv-contact-search", style=LABEL_STYLE),
                    rx.input(id="inv-contact-search", name="contact_search", placeholder="Name, email or company",
                             max_length=limits.SEARCH,
                             on_change=E.find_contacts.debounce(300), width="100%", size="3",
                             aria_describedby="inv-contact-hint"),
                    rx.text("Choose one below.", id="inv-contact-hint", size="1", color_scheme="gray",
                            high_contrast=True),
                    rx.cond(
                        E.contact_options.length() > 0,
                        rx.el.ul(rx.foreach(E.contact_options, lambda c: rx.el.li(
                            rx.button(rx.text(c["name"], as_="span", weight="medium"),
                                      rx.text(c["email"], as_="span", size="1", color_scheme="gray",
                                              high_contrast=True),
                                      type="button", variant="ghost", high_contrast=True, size="2",
                                      on_click=E.choose_contact(c["public_id"])),
                            style={"listStyle": "none", "padding": "2px 0"})),
                                 aria_label="Clients to choose from",
                                 style={"margin": "0", "padding": "4px 8px", "width": "100%", "maxHeight": "240px",
                                        "overflowY": "auto", "border": "1px solid var(--gray-a5)",
                                        "borderRadius": "6px"}),
                        rx.text("No client matches. Add clients under Contacts.", size="2"),
                    ),
                    spacing="2", width="100%",
                ),
            ),
            field_error(E.field_errors["contact"]),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _details() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Details", as_="h2", size="4"),
            rx.grid(
                rx.vstack(
                    field_label("Currency", "f-currency"),
                    rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], id="f-currency", name="currency",
                                 default_value=E.currency, key="cur-" + E.version.to_string(),
                                 on_change=E.set_currency, style=SELECT_STYLE),
                    field_error(E.field_errors["currency"]),
                    spacing="1", width="100%",
                ),
                field("Issue date", "issue_date", type_="date", required=True, default_value=E.issue_date,
                      key="issue-" + E.version.to_string(), error=E.field_errors["issue_date"]),
                field("Due date", "due_date", type_="date", required=True, default_value=E.due_date,
                      key="due-" + E.version.to_string(), error=E.field_errors["due_date"]),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _lines() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Lines", as_="h2", size="4"),
            line_items(E, error=field_error(E.field_errors["lines"])),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _discount_and_notes() -> rx.Component:
    v = E.version.to_string()
    return rx.card(
        rx.vstack(
            rx.heading("Discount, notes and terms", as_="h2", size="4"),
            rx.grid(
                rx.vstack(
                    field_label("Discount", "f-discount_kind"),
                    rx.el.select(rx.el.option("No discount", value="none"), rx.el.option("Percent of subtotal", value="percent"),
                                 rx.el.option("Fixed amount", value="fixed"), id="f-discount_kind", name="discount_kind",
                                 default_value=E.discount_kind, key="dk-" + v, on_change=E.set_discount_kind,
                                 style=SELECT_STYLE),
                    spacing="1", width="100%",
                ),
                rx.cond(
                    E.discount_kind != "none",
                    rx.vstack(
                        field_label(rx.cond(E.discount_kind == "percent", "Discount %", "Discount amount"), "f-discount_value"),
                        rx.input(id="f-discount_value", name="discount_value", default_value=E.discount_value,
                                 key="dv-" + v + E.discount_kind, max_length=limits.AMOUNT, input_mode="decimal", size="3",
                                 placeholder=rx.cond(E.discount_kind == "percent", "e.g. 10", "e.g. 50.00"),
                                 on_change=E.set_discount_value.debounce(400), on_blur=E.set_discount_value,
                                 width="100%"),
                        spacing="1", width="100%",
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            field_error(E.field_errors["discount"]),
            rx.vstack(
                field_label("Notes (shown on the invoice)", "f-notes"),
                rx.text_area(id="f-notes", name="notes", default_value=E.notes, key="n-" + v, max_length=limits.INVOICE_NOTES,
                             rows="3", width="100%"),
                field_error(E.field_errors["notes"]),
                spacing="1", width="100%",
            ),
            rx.vstack(
                field_label("Terms", "f-terms"),
                rx.text_area(id="f-terms", name="terms", default_value=E.terms, key="t-" + v, max_length=limits.INVOICE_TERMS,
                             rows="2", width="100%", placeholder="e.g. Payment due within 30 days."),
                field_error(E.field_errors["terms"]),
                spacing="1", width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _totals_preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Totals", as_="h2", size="4"),
            rx.cond(
                E.totals.contains("total"),
                rx.vstack(
                    money_row("Subtotal", E.totals["subtotal"]),
                    rx.cond(E.totals["discount"] != "", money_row("Discount", E.totals["discount"])),
                    money_row("Tax", E.totals["tax"]),
                    rx.separator(size="4"),
                    money_row("Total", E.totals["total"], strong=True),
                    spacing="2", width="100%",
                ),
                rx.text(rx.cond(E.preview_error != "", E.preview_error, "Add a line to see the totals."), size="2",
                        color_scheme="gray", high_contrast=True),
            ),
            rx.text("Amounts are rounded half up per line; tax is charged after the discount.", size="1",
                    color_scheme="gray", high_contrast=True),
            spacing="3", width="100%", aria_live="polite",
        ),
        width="100%",
    )


def _editor_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            alert_box(E.error),
            _contact_picker(),
            _details(),
            _lines(),
            rx.grid(
                _discount_and_notes(),
                rx.vstack(
                    _totals_preview(),
                    rx.flex(
                        rx.link("Cancel", href=rx.cond(E.invoice_id != "", "/staff/invoices/" + E.invoice_id,
                                                       "/staff/invoices"), size="2", margin_right="auto"),
                        rx.button("Save draft", type="submit", variant="soft", high_contrast=True, size="3",
                                  on_click=E.set_intent("draft")),
                        rx.button(rx.icon("send", size=16, aria_hidden="true"), "Save and send", type="submit",
                                  size="3", on_click=E.set_intent("send")),
                        spacing="3", wrap="wrap", justify="end", align="center", width="100%",
                    ),
                    spacing="4", width="100%",
                ),
                columns=rx.breakpoints(initial="1", md="minmax(0, 3fr) minmax(0, 2fr)"), spacing="4", width="100%",
                align_items="start",
            ),
            spacing="4", width="100%",
        ),
        on_submit=E.save, reset_on_submit=False, width="100%",
    )


def invoice_editor_page() -> rx.Component:
    return staff_shell(
        rx.link("← Invoices", href="/staff/invoices", size="2"),
        rx.heading(rx.cond(E.invoice_id != "", "Edit draft " + E.number, "New invoice"), as_="h1", size="7"),
        rx.cond(
            E.found,
            rx.fragment(
                rx.cond(E.invoice_id == "", rx.text("Its number is given when it is first saved (next: ", E.number,
                                                    ").", size="2", color_scheme="gray", high_contrast=True)),
                _editor_form(),
            ),
            rx.vstack(
                callout(E.refusal, color_scheme="gray", role="status", width="100%"),
                rx.cond(E.invoice_id != "", rx.link("Open the invoice", href="/staff/invoices/" + E.invoice_id)),
                spacing="3", align="start", width="100%",
            ),
        ),
    )
