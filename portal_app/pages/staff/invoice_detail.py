"""Staff › Invoices › one invoice with its actions (send, record a payment, refund a
payment, void, edit or delete a draft)."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import VISUALLY_HIDDEN, alert_box, callout, field
from portal_app.components.forms import SELECT_STYLE, field_label, money_row
from portal_app.components.how_to_pay import how_to_pay_block
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.components.status import status_badge, status_in
from portal_app.components.test_mode import test_mode_ribbon
from portal_app.models import OPEN_INVOICE_STATUSES, OVERDUE
from portal_app.state.staff.invoice_common import MANUAL_METHODS
from portal_app.state.staff.invoice_detail import StaffInvoiceState as D


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
                    field("Amount (" + D.inv["currency"] + ")", "amount", required=True, max_length=limits.AMOUNT,
                          default_value=D.inv["balance_plain"], key="amt-" + D.inv["balance_plain"],
                          input_mode="decimal", hint="The balance is " + D.inv["balance"] + "."),
                    rx.vstack(
                        field_label("Method", "f-method"),
                        rx.el.select(*[rx.el.option(label, value=key) for key, label in MANUAL_METHODS.items()],
                                     id="f-method", name="method", default_value="bank_transfer", style=SELECT_STYLE),
                        spacing="1", width="100%",
                    ),
                    field("Reference (optional)", "reference", max_length=limits.PAYMENT_REFERENCE,
                          placeholder="Check number, transfer id…"),
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


def _refund_dialog() -> rx.Component:
    p = D.refund_target
    amount_error = rx.cond(D.dialog_field == "amount", D.dialog_error, "")
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Refund a payment"),
            rx.dialog.description(
                rx.cond(p["method"] == "Card",
                        "The money goes back to the client's card through Stripe.",
                        "Record money you gave back to the client outside the portal."),
                " Payment of ", p["amount"], " on ", p["date"], " (", p["method"], ").",
                size="2", color_scheme="gray", high_contrast=True),
            rx.form(
                rx.vstack(
                    alert_box(rx.cond(D.dialog_field != "amount", D.dialog_error, "")),
                    field("Amount (" + D.inv["currency"] + ")", "refund_amount", required=True, max_length=limits.AMOUNT,
                          default_value=p["refundable_plain"], key="ref-" + p["id"] + "-" + p["refundable_plain"],
                          input_mode="decimal", hint="Up to " + p["refundable"] + " can be refunded.",
                          error=amount_error, aria_invalid=rx.cond(amount_error != "", "true", "false")),
                    field("Reason (optional)", "reason", max_length=limits.REFUND_REASON, placeholder="e.g. Cancelled session"),
                    _dialog_buttons(rx.button("Confirm refund", type="submit")),
                    spacing="3", width="100%",
                ),
                on_submit=D.refund_payment, reset_on_submit=False, width="100%",
            ),
            max_width="min(480px, 95vw)",
            style=brand_vars(),
        ),
        open=D.dialog == "refund", on_open_change=D.set_dialog_open,
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
    open_ = status_in(status, (*OPEN_INVOICE_STATUSES, OVERDUE))
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
                          status_badge("invoice", inv["status"]), align="center", spacing="3", wrap="wrap"),
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
            money_row("Subtotal", inv["subtotal"]),
            rx.cond(inv["discount"] != "", money_row("Discount", inv["discount"])),
            money_row("Tax", inv["tax"]),
            rx.separator(size="4"),
            money_row("Total", inv["total"], strong=True),
            money_row("Paid", inv["paid"]),
            money_row("Balance due", inv["balance"], strong=True),
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


def _refund_cell(p) -> rx.Component:
    return rx.table.cell(
        rx.cond(p["can_refund"] == "1",
                rx.button(rx.icon("undo-2", size=14, aria_hidden="true"), "Refund", size="1", variant="soft",
                          high_contrast=True, on_click=D.open_refund(p["id"]),
                          aria_label="Refund payment of " + p["amount"] + " on " + p["date"])),
        text_align="right", white_space="nowrap",
    )


def _ledger() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Payments", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(D.inv["refunded"] != "", rx.text("Refunded ", D.inv["refunded"], size="2",
                                                         style={"fontVariantNumeric": "tabular-nums"})),
                align="baseline", width="100%",
            ),
            rx.cond(
                D.payments.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Date"),
                        rx.table.column_header_cell("Kind"),
                        rx.table.column_header_cell("Method", display=["none", "table-cell"]),
                        rx.table.column_header_cell("Reference", display=["none", "none", "table-cell"]),
                        rx.table.column_header_cell("Amount", text_align="right"),
                        rx.cond(D.can_refund, rx.table.column_header_cell(rx.el.span("Actions", style=VISUALLY_HIDDEN),
                                                                          text_align="right")),
                    )),
                    rx.table.body(rx.foreach(D.payments, lambda p: rx.table.row(
                        rx.table.cell(p["date"], white_space="nowrap"),
                        rx.table.cell(p["kind_label"], rx.text(p["method"], size="1", color_scheme="gray",
                                                               high_contrast=True, display=["block", "none"])),
                        rx.table.cell(p["method"], display=["none", "table-cell"]),
                        rx.table.cell(rx.cond(p["reference"] != "", p["reference"], "—"),
                                      rx.cond(p["note"] != "", rx.text(p["note"], size="1", color_scheme="gray",
                                                                        high_contrast=True)),
                                      display=["none", "none", "table-cell"], style={"overflowWrap": "anywhere"}),
                        rx.table.cell(p["amount"], text_align="right", white_space="nowrap"),
                        rx.cond(D.can_refund, _refund_cell(p)),
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


def _how_to_pay() -> rx.Component:
    """What the client's invoice page says about paying (Settings › Payments sets it)."""
    return rx.cond((D.pay_methods.length() > 0) | (D.pay_banner != ""), rx.vstack(
        how_to_pay_block(D.pay_methods, D.pay_contact),
        rx.cond(D.pay_banner != "", callout(rx.text("The client sees: ", D.pay_banner), icon="info",
                                            color_scheme="gray", role="status", width="100%")),
        rx.text("Change the ways to pay and your business details in ",
                rx.link("Settings › Payments", href="/staff/settings/payments", underline="always"), ".", size="1",
                color_scheme="gray", high_contrast=True),
        spacing="2", width="100%", align="stretch",
    ))


def staff_invoice_page() -> rx.Component:
    return staff_shell(
        rx.link("← Invoices", href="/staff/invoices", size="2"),
        test_mode_ribbon(D.test_mode),
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
                _how_to_pay(),
                _notes(),
                _ledger(),
                spacing="4", width="100%", align="stretch",
            ),
            rx.vstack(rx.heading("Invoice not found", as_="h1", size="7"),
                      callout(D.refusal, color_scheme="gray", role="status", width="100%"),
                      spacing="3", align="start", width="100%"),
        ),
        _payment_dialog(),
        _refund_dialog(),
        _confirm_dialog("void", "Void invoice " + D.inv["number"] + "?",
                        "The client will see it as void and cannot pay it. This cannot be undone.",
                        "Void invoice", D.void),
        _confirm_dialog("delete", "Delete draft " + D.inv["number"] + "?",
                        "The draft is deleted; its number is not reused.", "Delete draft", D.delete),
    )
