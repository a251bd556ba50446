"""The client's Invoices section: the list (/invoices) and one invoice (/invoices/[invoice_id])."""

from __future__ import annotations

import reflex as rx

from portal_app.components.counts import count_label
from portal_app.components.fields import DOWNLOAD_LINK
from portal_app.components.how_to_pay import how_to_pay_block
from portal_app.components.layout import client_shell, not_available
from portal_app.components.pay_now import pay_button, pay_dialog, pay_status
from portal_app.components.status import status_badge
from portal_app.components.test_mode import test_mode_ribbon
from portal_app.models import OVERDUE
from portal_app.state.base import BaseState
from portal_app.state.portal.invoices import ClientInvoicesState as L
from portal_app.state.portal.invoices import ClientInvoiceState as D


def _spinner() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="40px")


def _refused(message, back: bool) -> rx.Component:
    return rx.vstack(
        not_available(message),
        rx.link("Back to all invoices", href="/invoices", size="2") if back else
        rx.link("Back to your portal home", href="/", size="2"),
        spacing="3", width="100%", align="start",
    )


# ------------------------------------------------------------------ the list


def _outstanding() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text("Outstanding", size="2", color_scheme="gray", high_contrast=True, weight="medium"),
                rx.cond(
                    L.outstanding.length() > 0,
                    rx.flex(rx.foreach(L.outstanding, lambda o: rx.text(o["amount"], size="6", weight="bold",
                                                                          white_space="nowrap")),
                            spacing="1", column_gap="5", wrap="wrap"),
                    rx.text("Nothing to pay right now.", size="4", weight="medium"),
                ),
                spacing="1", align="start",
            ),
            rx.text(count_label(L.total, "invoice"), " in total",
                    size="2", color_scheme="gray", high_contrast=True),
            justify="between", align="end", wrap="wrap", spacing="3", width="100%",
        ),
        width="100%",
    )


def _row(row) -> rx.Component:
    overdue = row["status"] == OVERDUE
    due_tone = dict(color_scheme=rx.cond(overdue, "red", "gray"), high_contrast=True,
                    weight=rx.cond(overdue, "medium", "regular"))
    return rx.table.row(
        rx.table.row_header_cell(rx.vstack(
            rx.link(row["number"], href="/invoices/" + row["id"], weight="medium",
                    aria_label="Invoice " + row["number"]),
            # on a phone the due date rides under the number (its column is hidden)
            rx.text("Due " + row["due_date"], size="1", display=["block", "none"], **due_tone),
            spacing="0", align="start"), white_space="nowrap"),
        rx.table.cell(row["issue_date"], white_space="nowrap", display=["none", "table-cell"]),
        rx.table.cell(rx.text(row["due_date"], **due_tone), white_space="nowrap",
                      display=["none", "table-cell"]),
        rx.table.cell(row["total"], white_space="nowrap", text_align="right", display=["none", "table-cell"]),
        rx.table.cell(rx.vstack(
            rx.text(row["balance"], weight="medium"),
            # on a phone the status rides under the balance (its column is hidden: at 320 px a third
            # column was cut off at the table's edge)
            rx.box(status_badge("invoice", row["status"]), display=["block", "none"]),
            spacing="1", align="end"), white_space="nowrap", text_align="right"),
        rx.table.cell(status_badge("invoice", row["status"]), display=["none", "table-cell"]),
        align="center",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("Invoice"),
            rx.table.column_header_cell("Issued", display=["none", "table-cell"]),
            rx.table.column_header_cell("Due", display=["none", "table-cell"]),
            rx.table.column_header_cell("Total", text_align="right", display=["none", "table-cell"]),
            rx.table.column_header_cell("Balance", text_align="right"),
            rx.table.column_header_cell("Status", display=["none", "table-cell"]),
        )),
        rx.table.body(rx.foreach(L.rows, _row)),
        variant="surface", width="100%",
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("receipt", size=28, aria_hidden="true", color="var(--gray-9)"),
            rx.text("No invoices have been shared with you yet.", size="3"),
            rx.text("When ", BaseState.business_name, " sends you an invoice, it appears here.",
                    size="2", color_scheme="gray", high_contrast=True),
            align="center", spacing="2", padding="24px", text_align="center",
        ),
        width="100%",
    )


def _pager() -> rx.Component:
    return rx.cond(
        L.pages > 1,
        rx.el.nav(
            rx.hstack(
                rx.cond(L.page > 1, rx.link("← Previous", href="/invoices?page=" + (L.page - 1).to_string())),
                rx.text("Page ", L.page, " of ", L.pages, size="2", color_scheme="gray", high_contrast=True),
                rx.cond(L.page < L.pages, rx.link("Next →", href="/invoices?page=" + (L.page + 1).to_string())),
                spacing="4", align="center", justify="center", width="100%",
            ),
            aria_label="Pages",
        ),
    )


def invoices_page() -> rx.Component:
    return client_shell(
        test_mode_ribbon(L.test_mode),
        rx.cond(
            L.refusal != "",
            _refused(L.refusal, back=False),
            rx.cond(
                L.loaded,
                rx.cond(
                    L.total > 0,
                    rx.vstack(_outstanding(), _table(), _pager(), spacing="4", width="100%", align="stretch"),
                    _empty(),
                ),
                _spinner(),
            ),
        ),
        title="Invoices",
    )


# ------------------------------------------------------------------ one invoice


def _party(caption: str, party) -> rx.Component:
    return rx.vstack(
        rx.text(caption, size="1", weight="bold", color_scheme="gray", high_contrast=True,
                style={"letterSpacing": "0.06em", "textTransform": "uppercase"}),
        rx.text(party["name"], weight="bold", size="2"),
        rx.cond(party["company"] != "", rx.text(party["company"], size="2")),
        rx.cond(party["address"] != "", rx.text(party["address"], size="2", white_space="pre-line")),
        rx.cond(party["email"] != "", rx.text(party["email"], size="2", color_scheme="gray", high_contrast=True,
                                             style={"wordBreak": "break-word"})),
        rx.cond(party["phone"] != "", rx.text(party["phone"], size="2", color_scheme="gray", high_contrast=True)),
        rx.cond(party["tax_id"] != "", rx.text("Tax ID: ", party["tax_id"], size="2", color_scheme="gray",
                                              high_contrast=True, style={"wordBreak": "break-word"})),
        spacing="0", align="start", min_width="0",
    )


def _fact(label: str, value, strong: bool = False, tone=None) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray", high_contrast=True),
        rx.spacer(),
        rx.text(value, size="2", weight="bold" if strong else "medium", white_space="nowrap",
                **({"color_scheme": tone, "high_contrast": True} if tone is not None else {})),
        width="100%", align="baseline",
    )


def _header_card() -> rx.Component:
    inv = D.invoice
    overdue = inv["status"] == OVERDUE
    return rx.card(
        rx.grid(
            _party("From", D.business),
            _party("Bill to", D.client),
            rx.vstack(
                _fact("Issued", inv["issue_date"]),
                _fact("Due", inv["due_date"], strong=True, tone=rx.cond(overdue, "red", "gray")),
                rx.box(
                    rx.text("Balance due", size="1", weight="bold", color_scheme="gray", high_contrast=True,
                            style={"letterSpacing": "0.06em", "textTransform": "uppercase"}),
                    rx.text(inv["balance"], size="6", weight="bold", white_space="nowrap"),
                    padding="8px 12px", margin_top="6px", border_radius="6px", width="100%",
                    background="var(--gray-a2)", border_left="3px solid var(--brand)",
                ),
                spacing="1", width="100%",
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="3"), spacing="5", width="100%",
        ),
        width="100%",
    )


def _line(ln) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(ln["description"], white_space="pre-line", weight="regular", style={"wordBreak": "break-word"}),
                rx.text(ln["quantity"], " × ", ln["unit"], rx.cond(ln["tax_rate"] != "0 %", " · tax " + ln["tax_rate"], ""),
                        size="1", color_scheme="gray", high_contrast=True, display=["block", "none"]),
                spacing="1", align="start",
            ),
            font_weight="normal",
        ),
        rx.table.cell(ln["quantity"], text_align="right", display=["none", "table-cell"]),
        rx.table.cell(ln["unit"], text_align="right", white_space="nowrap", display=["none", "table-cell"]),
        rx.table.cell(ln["tax_rate"], text_align="right", white_space="nowrap", display=["none", "table-cell"]),
        rx.table.cell(ln["amount"], text_align="right", white_space="nowrap"),
    )


def _lines() -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("Description"),
            rx.table.column_header_cell("Qty", text_align="right", display=["none", "table-cell"]),
            rx.table.column_header_cell("Unit price", text_align="right", display=["none", "table-cell"]),
            rx.table.column_header_cell("Tax", text_align="right", display=["none", "table-cell"]),
            rx.table.column_header_cell("Amount", text_align="right"),
        )),
        rx.table.body(rx.foreach(D.lines, _line)),
        variant="surface", width="100%",
    )


def _totals() -> rx.Component:
    inv = D.invoice
    return rx.flex(
        rx.vstack(
            _fact("Subtotal", inv["subtotal"]),
            rx.cond(inv["discount"] != "", _fact("Discount", inv["discount"])),
            _fact("Tax", inv["tax"]),
            rx.separator(size="4"),
            _fact("Total", inv["total"], strong=True),
            rx.cond(D.payments.length() > 0, _fact("Paid", inv["paid"])),
            rx.hstack(
                rx.text("Balance due", weight="bold"), rx.spacer(),
                rx.text(inv["balance"], weight="bold", white_space="nowrap"),
                width="100%", padding="8px 12px", border_radius="6px", background="var(--gray-a3)",
            ),
            spacing="2", width=["100%", "340px"],
        ),
        justify="end", width="100%",
    )


def _payments() -> rx.Component:
    return rx.vstack(
        rx.heading("Payments", as_="h2", size="4"),
        rx.cond(
            D.payments.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Date"),
                    rx.table.column_header_cell("Method"),
                    rx.table.column_header_cell("Reference", display=["none", "table-cell"]),
                    rx.table.column_header_cell("Amount", text_align="right"),
                )),
                rx.table.body(rx.foreach(D.payments, lambda p: rx.table.row(
                    rx.table.cell(p["date"], white_space="nowrap"),
                    rx.table.cell(p["method"]),
                    rx.table.cell(p["reference"], display=["none", "table-cell"], style={"wordBreak": "break-word"}),
                    rx.table.cell(p["amount"], text_align="right", white_space="nowrap"),
                ))),
                variant="surface", width="100%",
            ),
            rx.text("No payments yet.", size="2", color_scheme="gray", high_contrast=True),
        ),
        spacing="2", width="100%", align="stretch",
    )


def _text_block(title: str, value) -> rx.Component:
    return rx.cond(
        value != "",
        rx.vstack(rx.heading(title, as_="h2", size="4"),
                  rx.text(value, size="2", white_space="pre-line", style={"wordBreak": "break-word"}),
                  spacing="1", width="100%", align="start"),
    )


def _download() -> rx.Component:
    # rx.el.a is React Router's <Link>: reload_document makes the click a real request
    return rx.button(
        rx.el.a(rx.icon("download", size=16, aria_hidden="true"), "Download PDF",
                href="/api/invoices/" + D.invoice["id"] + "/pdf", **DOWNLOAD_LINK,
                aria_label="Download PDF of invoice " + D.invoice["number"]),
        as_child=True, variant="soft", high_contrast=True, size="2",
    )


def _detail() -> rx.Component:
    inv = D.invoice
    return rx.vstack(
        rx.link("← All invoices", href="/invoices", size="2"),
        test_mode_ribbon(D.test_mode),
        rx.flex(
            rx.hstack(
                rx.heading("Invoice ", inv["number"], as_="h1", size="7", style={"wordBreak": "break-word"}),
                status_badge("invoice", inv["status"]),
                spacing="3", align="center", wrap="wrap",
            ),
            rx.hstack(pay_button(), _download(), spacing="3", align="center", wrap="wrap"),
            justify="between", align="center", wrap="wrap", spacing="3", width="100%",
        ),
        pay_status(),
        pay_dialog(),
        _header_card(),
        _lines(),
        _totals(),
        how_to_pay_block(D.pay_methods, D.pay_contact),
        _payments(),
        _text_block("Notes", inv["notes"]),
        _text_block("Terms", inv["terms"]),
        spacing="4", width="100%", align="stretch",
    )


def invoice_page() -> rx.Component:
    return client_shell(
        rx.cond(
            D.refusal != "",
            rx.vstack(rx.heading("Invoice", as_="h1", size="7"), _refused(D.refusal, back=True),
                      spacing="4", width="100%", align="stretch"),
            rx.cond(D.loaded, _detail(), _spinner()),
        ),
    )
