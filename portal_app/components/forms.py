"""Form parts the staff editors share (invoices, documents, payments): labels, inline errors,
money rows and the native select's style."""

from __future__ import annotations

import reflex as rx

LABEL_STYLE = {"fontWeight": "500", "fontSize": "14px"}
SELECT_STYLE = {"height": "40px", "width": "100%", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                "padding": "0 8px", "background": "white", "fontSize": "15px"}


def field_label(text: str, html_for) -> rx.Component:
    return rx.el.label(text, html_for=html_for, style=LABEL_STYLE)


def field_error(message) -> rx.Component:
    return rx.cond(message != "", rx.text(message, size="2", color_scheme="red", high_contrast=True, role="alert"))


def money_row(label: str, value, *, strong: bool = False) -> rx.Component:
    weight = "bold" if strong else "regular"
    return rx.hstack(
        rx.text(label, size="2" if not strong else "3", weight=weight),
        rx.spacer(),
        rx.text(value, size="2" if not strong else "3", weight=weight, white_space="nowrap",
                style={"fontVariantNumeric": "tabular-nums"}),
        width="100%", align="baseline",
    )
