"""How to pay: the ways a business offers to pay an invoice (services/billing/payment_instructions.how_to_pay),
on the client's invoice page and, the same, on the staff invoice page. Account numbers and the
reference have a copy button (a compiled clipboard call, no eval)."""

from __future__ import annotations

import reflex as rx

MONO = "ui-monospace, SFMono-Regular, Menlo, monospace"


def _row(row) -> rx.Component:
    """Label and value side by side; on a phone the label sits above, so an IBAN keeps its
    copy button beside it."""
    return rx.box(
        rx.el.dt(rx.text(row["label"], size="2", color_scheme="gray", high_contrast=True)),
        rx.el.dd(
            rx.hstack(
                rx.text(row["value"], size="2", weight="medium", white_space="pre-line", min_width="0",
                        font_family=rx.cond(row["copy"], MONO, "inherit"), style={"wordBreak": "break-word"}),
                rx.cond(
                    row["copy"],
                    rx.icon_button(rx.icon("copy", size=14, aria_hidden="true"), size="1", variant="ghost",
                                   type="button", high_contrast=True, on_click=rx.set_clipboard(row["value"]),
                                   aria_label="Copy " + row["label"], title="Copy " + row["label"],
                                   flex_shrink="0"),
                ),
                spacing="2", align="center", wrap="nowrap",
            ),
            style={"margin": "0"},
        ),
        display="grid", grid_template_columns=rx.breakpoints(initial="1fr", sm="minmax(110px, 34%) 1fr"),
        column_gap="12px", row_gap="0", align_items="baseline", padding="4px 0",
        border_top="1px solid var(--gray-a4)",
    )


def _method(method) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(method["title"], as_="h3", size="3"),
            rx.cond(method["rows"].length() > 0,
                    rx.el.dl(rx.foreach(method["rows"], _row), style={"margin": "0", "width": "100%"})),
            rx.cond(method["note"] != "", rx.text(method["note"], size="2", white_space="pre-line",
                                                  color_scheme="gray", high_contrast=True,
                                                  style={"wordBreak": "break-word"})),
            spacing="2", width="100%", align="start",
        ),
        width="100%", variant="surface",
    )


def how_to_pay_block(methods, contact, heading_id: str = "how-to-pay") -> rx.Component:
    """`methods`: a list var of payment_instructions.PayMethod; `contact`: "email · phone" or ""."""
    return rx.cond(
        methods.length() > 0,
        rx.el.section(
            rx.vstack(
                rx.heading("How to pay", as_="h2", size="4", id=heading_id),
                rx.grid(rx.foreach(methods, _method), columns=rx.breakpoints(initial="1", md="2"), spacing="3",
                        width="100%"),
                rx.cond(contact != "", rx.text("Questions about this invoice? ", contact, size="2",
                                               color_scheme="gray", high_contrast=True)),
                spacing="2", width="100%", align="stretch",
            ),
            aria_labelledby=heading_id, style={"width": "100%"},
        ),
    )
