"""The "Test mode" ribbon of the demo's test payments (services/billing/demo_payments.py): on every
page that touches payments while the workspace takes cards through the local Stripe stand-in."""

from __future__ import annotations

import reflex as rx

RIBBON_LABEL = "Payments test mode"


def test_mode_ribbon(on: rx.Var[bool] | bool) -> rx.Component:
    return rx.cond(
        on,
        rx.el.section(
            rx.hstack(
                rx.icon("flask-conical", size=18, aria_hidden="true", flex_shrink="0", margin_top="2px"),
                rx.text(
                    rx.text.strong("Test mode — no real money moves. "),
                    "Pay with the test card 4242 4242 4242 4242 (any future date, any CVC); "
                    "4000 0000 0000 0002 is declined.",
                    size="2",
                ),
                spacing="2", align="start",
            ),
            aria_label=RIBBON_LABEL,
            # dark text on amber: 10:1 contrast
            style={"background": "#fef3c7", "color": "#451a03", "border": "1px solid #d97706",
                   "borderRadius": "var(--radius-3)", "padding": "10px 14px", "width": "100%"},
        ),
    )
