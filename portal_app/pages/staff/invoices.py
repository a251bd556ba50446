"""Staff › Invoices: the list (filters, outstanding totals), the editor for drafts, and one
invoice with its actions (send, record a payment, void, edit or delete a draft)."""

from __future__ import annotations

import reflex as rx

from ...components.fields import alert_box, callout, field
from ...components.layout import brand_vars, staff_shell
from ...services.money import CURRENCIES
from ...state.invoices_staff import MANUAL_METHODS, STATUS_FILTERS
from ...state.invoices_staff import InvoiceEditorState as E
from ...state.invoices_staff import StaffInvoicesState as L
from ...state.invoices_staff import StaffInvoiceState as D

STATUS_COLORS = {"draft": "gray", "sent": "blue", "partially_paid": "amber", "paid": "green", "overdue": "red",
                 "void": "gray"}
LABEL_STYLE = {"fontWeight": "500", "fontSize": "14px"}
LINE_LABEL_STYLE = {"fontWeight": "500", "fontSize": "13px"}
SELECT_STYLE = {"height": "40px", "width": "100%", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                "padding": "0 8px", "background": "white", "fontSize": "15px"}


def status_badge(status, label) -> rx.Component:
    return rx.match(
        status,
        *[(key, rx.badge(label, color_scheme=color, variant="outline" if key == "void" else "soft",
                         high_contrast=True, size="2"))
          for key, color in STATUS_COLORS.items()],
        rx.badge(label, high_contrast=True, size="2"),
    )


def _label(text: str, html_for) -> rx.Component:
    return rx.el.label(text, html_for=html_for, style=LABEL_STYLE)


def _error(message) -> rx.Component:
    return rx.cond(message != "", rx.text(message, size="2", color_scheme="red", high_contrast=True, role="alert"))


def _money_row(label: str, value, *, strong: bool = False) -> rx.Component:
    weight = "bold" if strong else "regular"
    return rx.hstack(
        rx.text(label, size="2" if not strong else "3", weight=weight),
        rx.spacer(),
        rx.text(value, size="2" if not strong else "3", weight=weight, white_space="nowrap",
                style={"fontVariantNumeric": "tabular-nums"}),
        width="100%", align="baseline",
    )


# --- the list ------------------------------------------------------------------------------

def _status_filters() -> rx.Component:
    pills = rx.el.nav(
        rx.flex(
            *[rx.link(label, href=f"/staff/invoices?status={key}&contact=" + L.contact_id, underline="none", size="2",
                      color_scheme="gray", high_contrast=True, padding="6px 12px", border_radius="999px",
                      white_space="nowrap",
                      aria_current=rx.cond(L.status == key, "page", "false"),
                      font_weight=rx.cond(L.status == key, "600", "400"),
                      background=rx.cond(L.status == key, "var(--gray-a4)", "transparent"),
                      border=rx.cond(L.status == key, "1px solid var(--gray-a8)", "1px solid var(--gray-a5)"))
              for key, label in STATUS_FILTERS.items()],
            spacing="2", wrap="wrap",
        ),
        aria_label="Filter invoices by status", display=["none", "none", "block"],
    )
    select = rx.hstack(
        _label("Show", "inv-status"),
        rx.el.select(*[rx.el.option(label, value=key) for key, label in STATUS_FILTERS.items()],
                     id="inv-status", value=L.status, on_change=L.set_status, style=SELECT_STYLE),
        align="center", spacing="2", width="100%", display=["flex", "flex", "none"],
    )
    return rx.fragment(pills, select)


def _contact_filter() -> rx.Component:
    return rx.cond(
        L.contact_id != "",
        rx.hstack(
            rx.text("Client:", size="2"),
            rx.badge(L.contact_label, size="2", variant="soft", high_contrast=True),
            rx.button(rx.icon("x", size=14, aria_hidden="true"), "All clients", size="1", variant="ghost",
                      high_contrast=True, on_click=L.clear_contact),
            align="center", spacing="2", wrap="wrap",
        ),
        rx.vstack(
            rx.el.label("Filter by client", html_for="inv-client", style={"fontSize": "14px"}),
            rx.input(id="inv-client", placeholder="Name, email or company", max_length=100,
                     on_change=L.find_contacts.debounce(300), width=["100%", "280px"]),
            rx.cond(L.contact_options.length() > 0,
                    rx.el.ul(rx.foreach(L.contact_options, lambda c: rx.el.li(
                        rx.button(c["name"], rx.text(c["email"], as_="span", size="1", color_scheme="gray",
                                                    high_contrast=True),
                                  variant="ghost", high_contrast=True, size="2",
                                  on_click=L.filter_contact(c["public_id"])),
                        style={"listStyle": "none", "padding": "2px 0"})),
                             aria_label="Matching clients",
                             style={"margin": "0", "padding": "4px 8px", "border": "1px solid var(--gray-a5)",
                                    "borderRadius": "6px", "background": "white", "width": "100%",
                                    "maxWidth": "360px"})),
            spacing="1", width=rx.breakpoints(initial="100%", lg="auto"),
        ),
    )


def _outstanding() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text("Outstanding", size="2", weight="medium", color_scheme="gray", high_contrast=True),
                rx.cond(
                    L.outstanding.length() > 0,
                    rx.flex(rx.foreach(L.outstanding, lambda o: rx.text(o["amount"], size="6", weight="bold",
                                                                        white_space="nowrap")),
                            spacing="5", wrap="wrap"),
                    rx.text("Nothing outstanding", size="4", weight="bold"),
                ),
                rx.text("Balance of sent and partly paid invoices", size="1", color_scheme="gray",
                        high_contrast=True),
                spacing="1", align="start",
            ),
            # a link that looks like a button (one focus stop, no button inside a link)
            rx.button(rx.link(rx.icon("plus", size=16, aria_hidden="true"), "New invoice", underline="none",
                              href=rx.cond(L.contact_id != "", "/staff/invoices/new?contact=" + L.contact_id,
                                           "/staff/invoices/new")), as_child=True),
            justify="between", align=rx.breakpoints(initial="start", sm="center"),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3", width="100%",
        ),
        width="100%",
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.link(row["number"].to(str), href="/staff/invoices/" + row["id"].to(str), weight="medium"),
                rx.text(row["contact"].to(str), size="1", color_scheme="gray", high_contrast=True,
                        display=["block", "block", "none"]),
                spacing="0",
            ),
        ),
        rx.table.cell(row["contact"].to(str), display=["none", "none", "table-cell"]),
        rx.table.cell(row["issue_date"].to(str), display=["none", "none", "none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row["due_date"].to(str), display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row["total"].to(str), display=["none", "none", "table-cell"], text_align="right",
                      white_space="nowrap"),
        rx.table.cell(row["balance"].to(str), text_align="right", white_space="nowrap"),
        rx.table.cell(rx.vstack(
            status_badge(row["status"].to(str), row["status_label"].to(str)),
            rx.cond(row["viewed"].to(str) != "",
                    rx.hstack(rx.icon("eye", size=14, aria_hidden="true"), rx.text("Viewed", size="1"),
                              spacing="1", align="center", title="Viewed by the client " + row["viewed"].to(str),
                              color="var(--gray-11)")),
            rx.cond(row["overpaid"].to(bool), rx.badge("Overpaid", color_scheme="orange", high_contrast=True)),
            spacing="1", align="start")),
    )


def _table() -> rx.Component:
    return rx.cond(
        L.rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Number"),
                    rx.table.column_header_cell("Client", display=["none", "none", "table-cell"]),
                    rx.table.column_header_cell("Issued", display=["none", "none", "none", "table-cell"]),
                    rx.table.column_header_cell("Due", display=["none", "table-cell"]),
                    rx.table.column_header_cell("Total", display=["none", "none", "table-cell"], text_align="right"),
                    rx.table.column_header_cell("Balance", text_align="right"),
                    rx.table.column_header_cell("Status"),
                )),
                rx.table.body(rx.foreach(L.rows, _row)),
                variant="surface", width="100%",
            ),
            overflow_x="auto", width="100%",
        ),
        callout(rx.cond((L.status != "") | (L.contact_id != ""), "No invoice matches this filter.",
                        "No invoices yet. Create your first one with New invoice."),
                color_scheme="gray", role="status", width="100%"),
    )


def _pager() -> rx.Component:
    def href(page):
        return ("/staff/invoices?status=" + L.status + "&contact=" + L.contact_id + "&page=" + page.to_string())

    return rx.cond(
        L.pages > 1,
        rx.hstack(
            rx.cond(L.page > 1, rx.link("← Previous", href=href(L.page - 1))),
            rx.text("Page ", L.page, " of ", L.pages, " · ", L.total, " invoices", size="2", color_scheme="gray",
                    high_contrast=True),
            rx.cond(L.page < L.pages, rx.link("Next →", href=href(L.page + 1))),
            spacing="4", align="center", justify="center", width="100%", wrap="wrap",
        ),
        rx.text(L.total, rx.cond(L.total == 1, " invoice", " invoices"), size="2", color_scheme="gray",
                high_contrast=True),
    )


def staff_invoices_page() -> rx.Component:
    return staff_shell(
        rx.cond(L.refusal != "", alert_box(L.refusal), rx.fragment()),
        _outstanding(),
        rx.flex(_status_filters(), _contact_filter(), direction=rx.breakpoints(initial="column", lg="row"),
                justify="between", align=rx.breakpoints(initial="stretch", lg="end"), spacing="3", width="100%"),
        _table(),
        _pager(),
        title="Invoices",
    )


# --- the editor ----------------------------------------------------------------------------

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
                    rx.input(id="inv-contact-search", name="contact_search", placeholder="Name, email or company", max_length=100,
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
            _error(E.field_errors["contact"].to(str)),
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
                    _label("Currency", "f-currency"),
                    rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], id="f-currency", name="currency",
                                 default_value=E.currency, key="cur-" + E.version.to_string(),
                                 on_change=E.set_currency, style=SELECT_STYLE),
                    _error(E.field_errors["currency"].to(str)),
                    spacing="1", width="100%",
                ),
                field("Issue date", "issue_date", type_="date", required=True, default_value=E.issue_date,
                      key="issue-" + E.version.to_string(), error=E.field_errors["issue_date"].to(str)),
                field("Due date", "due_date", type_="date", required=True, default_value=E.due_date,
                      key="due-" + E.version.to_string(), error=E.field_errors["due_date"].to(str)),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _line_input(line, fld: str, label: str, **props) -> rx.Component:
    key = line["key"].to(str)
    input_id = "line-" + fld + "-" + key
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style=LINE_LABEL_STYLE),
        rx.input(id=input_id, name=fld + "_" + key, default_value=line[fld].to(str),
                 on_change=lambda v: E.set_line(key, fld, v).debounce(400),
                 on_blur=lambda v: E.set_line(key, fld, v), width="100%", size="3",
                 aria_invalid=rx.cond(line["error"].to(str) != "", "true", "false"),
                 aria_describedby="line-error-" + key, **props),
        spacing="1", width="100%", min_width="0",
    )


def _line(line, index) -> rx.Component:
    key = line["key"].to(str)
    return rx.box(
        rx.grid(
            rx.box(_line_input(line, "description", "Description", max_length=2000, required=True),
                   grid_column=rx.breakpoints(initial="1 / -1", md="auto"), min_width="0"),
            _line_input(line, "quantity", "Qty", max_length=20, input_mode="decimal"),
            _line_input(line, "unit_price", "Unit price", max_length=20, input_mode="decimal", placeholder="0.00"),
            _line_input(line, "tax_rate", "Tax %", max_length=12, input_mode="decimal"),
            rx.flex(
                rx.text("Amount", style=LINE_LABEL_STYLE),
                rx.text(rx.cond(line["amount"].to(str) != "", line["amount"].to(str), "—"), size="3",
                        white_space="nowrap", weight="medium",
                        style={"fontVariantNumeric": "tabular-nums", "lineHeight": "40px"}),
                direction=rx.breakpoints(initial="row", md="column"), spacing=rx.breakpoints(initial="2", md="1"),
                align=rx.breakpoints(initial="center", md="end"),
                grid_column=rx.breakpoints(initial="1 / 3", md="auto"),
            ),
            rx.flex(
                rx.icon_button(rx.icon("trash-2", size=18, aria_hidden="true"), type="button", variant="ghost",
                               color_scheme="red", high_contrast=True, size="3",
                               aria_label="Remove line " + (index + 1).to_string(),
                               disabled=E.lines.length() <= 1, on_click=E.remove_line(key)),
                justify="end", align="center", height="40px",
            ),
            columns=rx.breakpoints(initial="1fr 1fr 1fr", md="minmax(0, 1fr) 76px 120px 76px 128px 40px"),
            spacing="3", width="100%", align_items="end",
        ),
        rx.cond(line["error"].to(str) != "",
                rx.text(line["error"].to(str), id="line-error-" + key, size="2", color_scheme="red",
                        high_contrast=True, role="alert", padding_top="6px")),
        key=key,
        padding_y="12px", border_bottom="1px solid var(--gray-a4)", width="100%",
        role="group", aria_label="Line " + (index + 1).to_string(),
    )


def _lines() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Lines", as_="h2", size="4"),
            rx.box(rx.foreach(E.lines, _line), width="100%"),
            _error(E.field_errors["lines"].to(str)),
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add line", type="button", variant="soft",
                      high_contrast=True, on_click=E.add_line),
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
                    _label("Discount", "f-discount_kind"),
                    rx.el.select(rx.el.option("No discount", value="none"), rx.el.option("Percent of subtotal", value="percent"),
                                 rx.el.option("Fixed amount", value="fixed"), id="f-discount_kind", name="discount_kind",
                                 default_value=E.discount_kind, key="dk-" + v, on_change=E.set_discount_kind,
                                 style=SELECT_STYLE),
                    spacing="1", width="100%",
                ),
                rx.cond(
                    E.discount_kind != "none",
                    rx.vstack(
                        _label(rx.cond(E.discount_kind == "percent", "Discount %", "Discount amount"), "f-discount_value"),
                        rx.input(id="f-discount_value", name="discount_value", default_value=E.discount_value,
                                 key="dv-" + v + E.discount_kind, max_length=20, input_mode="decimal", size="3",
                                 placeholder=rx.cond(E.discount_kind == "percent", "e.g. 10", "e.g. 50.00"),
                                 on_change=E.set_discount_value.debounce(400), on_blur=E.set_discount_value,
                                 width="100%"),
                        spacing="1", width="100%",
                    ),
                ),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            _error(E.field_errors["discount"].to(str)),
            rx.vstack(
                _label("Notes (shown on the invoice)", "f-notes"),
                rx.text_area(id="f-notes", name="notes", default_value=E.notes, key="n-" + v, max_length=5000,
                             rows="3", width="100%"),
                _error(E.field_errors["notes"].to(str)),
                spacing="1", width="100%",
            ),
            rx.vstack(
                _label("Terms", "f-terms"),
                rx.text_area(id="f-terms", name="terms", default_value=E.terms, key="t-" + v, max_length=5000,
                             rows="2", width="100%", placeholder="e.g. Payment due within 30 days."),
                _error(E.field_errors["terms"].to(str)),
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
                    _money_row("Subtotal", E.totals["subtotal"]),
                    rx.cond(E.totals["discount"] != "", _money_row("Discount", E.totals["discount"])),
                    _money_row("Tax", E.totals["tax"]),
                    rx.separator(size="4"),
                    _money_row("Total", E.totals["total"], strong=True),
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


# --- one invoice ---------------------------------------------------------------------------

def _dialog_buttons(*buttons: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray", high_contrast=True)),
        *buttons, justify="end", spacing="3", width="100%", padding_top="8px",
    )


def _payment_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Record a payment"),
            rx.dialog.description("Money received outside the portal (cash, check, bank transfer) for invoice ",
                                  D.inv["number"], ".", size="2", color_scheme="gray", high_contrast=True),
            rx.form(
                rx.vstack(
                    alert_box(D.dialog_error),
                    field("Amount (" + D.inv["currency"] + ")", "amount", required=True, max_length=20,
                          default_value=D.inv["balance_plain"], key="amt-" + D.inv["balance_plain"],
                          input_mode="decimal", hint="The balance is " + D.inv["balance"] + "."),
                    rx.vstack(
                        _label("Method", "f-method"),
                        rx.el.select(*[rx.el.option(label, value=key) for key, label in MANUAL_METHODS.items()],
                                     id="f-method", name="method", default_value="bank_transfer", style=SELECT_STYLE),
                        spacing="1", width="100%",
                    ),
                    field("Reference (optional)", "reference", max_length=200, placeholder="Check number, transfer id…"),
                    _dialog_buttons(rx.button("Record payment", type="submit")),
                    spacing="3", width="100%",
                ),
                on_submit=D.record_payment, reset_on_submit=False, width="100%",
            ),
            max_width="min(480px, 95vw)",
            style=brand_vars(),
        ),
        open=D.dialog == "payment", on_open_change=D.set_dialog_open,
    )


def _confirm_dialog(kind: str, title, text: str, action: str, handler) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(text, size="2"),
            rx.box(alert_box(D.dialog_error), padding_top="12px", width="100%"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True)),
                # not an alert_dialog.action: a refusal must stay visible in the open dialog
                rx.button(action, color_scheme="red", high_contrast=True, on_click=handler),  # white on red-9 fails AA
                justify="end", spacing="3", padding_top="12px",
            ),
            max_width="min(480px, 95vw)",
            style=brand_vars(),
        ),
        open=D.dialog == kind, on_open_change=D.set_dialog_open,
    )


def _actions() -> rx.Component:
    status = D.inv["status"]
    open_ = (status == "sent") | (status == "partially_paid") | (status == "overdue")
    return rx.flex(
        rx.cond(status == "draft", rx.fragment(
            rx.button(rx.link(rx.icon("pencil", size=16, aria_hidden="true"), "Edit", underline="none",
                              href="/staff/invoices/" + D.inv["id"] + "/edit"),
                      variant="soft", high_contrast=True, as_child=True),
            rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send", on_click=D.send),
            rx.button(rx.icon("trash-2", size=16, aria_hidden="true"), "Delete", variant="soft", color_scheme="red",
                      high_contrast=True, on_click=D.open_dialog("delete")),
        )),
        rx.cond(open_, rx.fragment(
            rx.button(rx.icon("banknote", size=16, aria_hidden="true"), "Record payment",
                      on_click=D.open_dialog("payment")),
            rx.button(rx.icon("send", size=16, aria_hidden="true"), "Resend", variant="soft", high_contrast=True,
                      on_click=D.send),
        )),
        rx.cond(open_ | (status == "paid"),
                rx.button(rx.icon("ban", size=16, aria_hidden="true"), "Void", variant="soft", color_scheme="red",
                          high_contrast=True, on_click=D.open_dialog("void"))),
        spacing="2", wrap="wrap",
    )


def _fact(label: str, *value) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray", high_contrast=True),
                     rx.text(*value, size="2"), spacing="0", min_width="0")


def _header() -> rx.Component:
    inv = D.inv
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.hstack(rx.heading("Invoice ", inv["number"], as_="h1", size="7"),
                          status_badge(inv["status"], inv["status_label"]), align="center", spacing="3", wrap="wrap"),
                _actions(),
                justify="between", align="center", spacing="3", wrap="wrap", width="100%",
            ),
            rx.grid(
                rx.vstack(rx.text("Client", size="1", weight="medium", color_scheme="gray", high_contrast=True),
                          rx.link(inv["contact"], href="/staff/contacts/" + inv["contact_id"], size="2"),
                          rx.text(inv["contact_email"], size="1", color_scheme="gray", high_contrast=True,
                                  style={"overflowWrap": "anywhere"}),
                          spacing="0", min_width="0"),
                _fact("Issued", inv["issue_date"]),
                _fact("Due", inv["due_date"]),
                _fact("Sent", rx.cond(inv["sent"] != "", inv["sent"], "Not sent yet")),
                rx.vstack(
                    rx.text("Client view", size="1", weight="medium", color_scheme="gray", high_contrast=True),
                    rx.cond(inv["viewed"] != "",
                            rx.hstack(rx.icon("eye", size=14, aria_hidden="true"),
                                      rx.text("Viewed by client ", inv["viewed"], size="2"), spacing="1",
                                      align="center"),
                            rx.text(rx.cond(inv["sent"] != "", "Not viewed yet", "—"), size="2")),
                    spacing="0", min_width="0",
                ),
                columns=rx.breakpoints(initial="2", sm="3", lg="5"), spacing="4", width="100%",
            ),
            spacing="4", width="100%",
        ),
        width="100%",
    )


def _line_row(line) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(line["description"], style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}, size="2"),
            rx.text(line["quantity"], " × ", line["unit"], " · tax ", line["tax_rate"], size="1", color_scheme="gray",
                    high_contrast=True, display=["block", "block", "none"]),
        ),
        rx.table.cell(line["quantity"], display=["none", "none", "table-cell"], text_align="right"),
        rx.table.cell(line["unit"], display=["none", "none", "table-cell"], text_align="right", white_space="nowrap"),
        rx.table.cell(line["tax_rate"], display=["none", "none", "table-cell"], text_align="right",
                      white_space="nowrap"),
        rx.table.cell(line["amount"], text_align="right", white_space="nowrap"),
    )


def _lines_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Description"),
                rx.table.column_header_cell("Qty", display=["none", "none", "table-cell"], text_align="right"),
                rx.table.column_header_cell("Unit price", display=["none", "none", "table-cell"], text_align="right"),
                rx.table.column_header_cell("Tax", display=["none", "none", "table-cell"], text_align="right"),
                rx.table.column_header_cell("Amount", text_align="right"),
            )),
            rx.table.body(rx.foreach(D.lines, _line_row)),
            variant="surface", width="100%",
        ),
        overflow_x="auto", width="100%",
    )


def _totals() -> rx.Component:
    inv = D.inv
    return rx.card(
        rx.vstack(
            _money_row("Subtotal", inv["subtotal"]),
            rx.cond(inv["discount"] != "", _money_row("Discount", "−" + inv["discount"])),
            _money_row("Tax", inv["tax"]),
            rx.separator(size="4"),
            _money_row("Total", inv["total"], strong=True),
            _money_row("Paid", inv["paid"]),
            _money_row("Balance due", inv["balance"], strong=True),
            spacing="2", width="100%",
        ),
        width="100%", max_width=["100%", "360px"], margin_left="auto",
    )


def _notes() -> rx.Component:
    inv = D.inv
    return rx.cond(
        (inv["notes"] != "") | (inv["terms"] != ""),
        rx.card(rx.vstack(
            rx.cond(inv["notes"] != "", rx.vstack(
                rx.heading("Notes", as_="h2", size="3"),
                rx.text(inv["notes"], size="2", style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}),
                spacing="1")),
            rx.cond(inv["terms"] != "", rx.vstack(
                rx.heading("Terms", as_="h2", size="3"),
                rx.text(inv["terms"], size="2", style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}),
                spacing="1")),
            spacing="3", width="100%"), width="100%"),
    )


def _ledger() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Payments", as_="h2", size="4"),
            rx.cond(
                D.payments.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Date"),
                        rx.table.column_header_cell("Kind"),
                        rx.table.column_header_cell("Method", display=["none", "table-cell"]),
                        rx.table.column_header_cell("Reference", display=["none", "none", "table-cell"]),
                        rx.table.column_header_cell("Amount", text_align="right"),
                    )),
                    rx.table.body(rx.foreach(D.payments, lambda p: rx.table.row(
                        rx.table.cell(p["date"], white_space="nowrap"),
                        rx.table.cell(p["kind_label"], rx.text(p["method"], size="1", color_scheme="gray",
                                                               high_contrast=True, display=["block", "none"])),
                        rx.table.cell(p["method"], display=["none", "table-cell"]),
                        rx.table.cell(rx.cond(p["reference"] != "", p["reference"], "—"),
                                      display=["none", "none", "table-cell"], style={"overflowWrap": "anywhere"}),
                        rx.table.cell(p["amount"], text_align="right", white_space="nowrap"),
                    ))),
                    variant="ghost", width="100%", size="1",
                ), overflow_x="auto", width="100%"),
                rx.text(rx.cond(D.inv["status"] == "draft", "Payments can be recorded once the invoice is sent.",
                                "No payments yet."), size="2", color_scheme="gray", high_contrast=True),
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def staff_invoice_page() -> rx.Component:
    return staff_shell(
        rx.link("← Invoices", href="/staff/invoices", size="2"),
        rx.cond(
            D.found,
            rx.vstack(
                _header(),
                rx.cond(D.overpaid, callout(
                    "Overpaid: the client has paid " + D.inv["paid"] + " against a total of " + D.inv["total"]
                    + ". Refund the difference or keep it as a credit.",
                    icon="triangle-alert", color_scheme="orange", role="alert", width="100%")),
                rx.cond(D.inv["status"] == "void",
                        callout("This invoice is void. The client sees it as void; it takes no payments.",
                                color_scheme="gray", role="status", width="100%")),
                _lines_table(),
                _totals(),
                _notes(),
                _ledger(),
                spacing="4", width="100%", align="stretch",
            ),
            rx.vstack(rx.heading("Invoice not found", as_="h1", size="7"),
                      callout(D.refusal, color_scheme="gray", role="status", width="100%"),
                      spacing="3", align="start", width="100%"),
        ),
        _payment_dialog(),
        _confirm_dialog("void", "Void invoice " + D.inv["number"] + "?",
                        "The client will see it as void and cannot pay it. This cannot be undone.",
                        "Void invoice", D.void),
        _confirm_dialog("delete", "Delete draft " + D.inv["number"] + "?",
                        "The draft is deleted; its number is not reused.", "Delete draft", D.delete),
    )
