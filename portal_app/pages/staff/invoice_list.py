"""Staff › Invoices: the list (status and client filters, outstanding totals, pages)."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.counts import count_label
from portal_app.components.fields import alert_box, callout
from portal_app.components.forms import SELECT_STYLE, field_label
from portal_app.components.layout import staff_shell
from portal_app.components.status import status_badge
from portal_app.components.tables import clipped, clipped_text
from portal_app.components.test_mode import test_mode_ribbon
from portal_app.state.staff.invoice_common import STATUS_FILTERS
from portal_app.state.staff.invoice_list import StaffInvoicesState as L


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
        field_label("Show", "inv-status"),
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
            rx.input(id="inv-client", placeholder="Name, email or company", max_length=limits.SEARCH,
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
                rx.link(row["number"], href="/staff/invoices/" + row["id"], weight="medium"),
                clipped_text(row["contact"], size="1", color_scheme="gray", high_contrast=True,
                             display=["block", "block", "none"]),
                spacing="0",
            ),
        ),
        rx.table.cell(clipped(row["contact"]), display=["none", "none", "table-cell"]),
        rx.table.cell(row["issue_date"], display=["none", "none", "none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row["due_date"], display=["none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row["total"], display=["none", "none", "table-cell"], text_align="right",
                      white_space="nowrap"),
        rx.table.cell(row["balance"], text_align="right", white_space="nowrap"),
        rx.table.cell(rx.vstack(
            status_badge("invoice", row["status"]),
            rx.cond(row["viewed"] != "",
                    rx.hstack(rx.icon("eye", size=14, aria_hidden="true"), rx.text("Viewed", size="1"),
                              spacing="1", align="center", title="Viewed by the client " + row["viewed"],
                              color="var(--gray-11)")),
            rx.cond(row["overpaid"], rx.badge("Overpaid", color_scheme="orange", high_contrast=True)),
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
            rx.text("Page ", L.page, " of ", L.pages, " · ", count_label(L.total, "invoice"), size="2", color_scheme="gray",
                    high_contrast=True),
            rx.cond(L.page < L.pages, rx.link("Next →", href=href(L.page + 1))),
            spacing="4", align="center", justify="center", width="100%", wrap="wrap",
        ),
        rx.text(count_label(L.total, "invoice"), size="2", color_scheme="gray",
                high_contrast=True),
    )


def staff_invoices_page() -> rx.Component:
    return staff_shell(
        test_mode_ribbon(L.test_mode),
        rx.cond(L.refusal != "", alert_box(L.refusal), rx.fragment()),
        _outstanding(),
        rx.flex(_status_filters(), _contact_filter(), direction=rx.breakpoints(initial="column", lg="row"),
                justify="between", align=rx.breakpoints(initial="stretch", lg="end"), spacing="3", width="100%"),
        _table(),
        _pager(),
        title="Invoices",
    )
