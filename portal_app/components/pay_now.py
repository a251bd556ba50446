"""Pay Now on the client's invoice page: the button, the card dialog and what the page says
while a payment is on its way. The card form itself is Stripe.js (stripe_card.jsx)."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import passthrough_event_spec

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import brand_vars
from portal_app.state.portal.invoices import ClientInvoiceState as D

BUSY = ("paying", "confirming")


class StripeCardForm(rx.Component):
    """<form> around Stripe.js's Card Element (see stripe_card.jsx)."""

    library = rx.asset("stripe_card.jsx", shared=True).importable_path
    tag = "StripeCardForm"

    publishable_key: rx.Var[str]
    script_url: rx.Var[str]
    action_secret: rx.Var[str]

    on_token: rx.EventHandler[passthrough_event_spec(str)]
    on_failure: rx.EventHandler[passthrough_event_spec(str)]
    on_action_done: rx.EventHandler[passthrough_event_spec(str)]


def _busy() -> rx.Var:
    return (D.pay_phase == "paying") | (D.pay_phase == "confirming")


def pay_button() -> rx.Component:
    return rx.cond(
        D.can_pay & (D.pay_phase != "processing"),
        rx.button(rx.icon("credit-card", size=16, aria_hidden="true"), "Pay now", on_click=D.open_pay, size="3"),
    )


def pay_status() -> rx.Component:
    """Above the invoice: the payment on its way, the payment booked, or how else to pay."""
    return rx.fragment(
        rx.cond(
            D.pay_phase == "processing",
            callout(rx.hstack(rx.spinner(size="2"), rx.text("Processing your payment… This page updates by itself "
                                                            "as soon as the bank confirms it."), spacing="2",
                              align="center"),
                    color_scheme="blue", role="status", width="100%"),
        ),
        rx.cond(D.pay_done != "", callout(D.pay_done, icon="circle-check", color_scheme="green", role="status",
                                          width="100%")),
        # how else to pay (payment_instructions.how_to_pay): How to pay below, or whom to contact
        rx.cond(
            D.payable & ~D.can_pay & (D.pay_banner != ""),
            callout(D.pay_banner, icon="info", color_scheme="gray", role="status", width="100%"),
        ),
    )


def _amount() -> rx.Component:
    return rx.cond(
        D.partial,
        field("Amount to pay", "pay_amount", value=D.pay_amount, on_change=D.set_pay_amount, required=True,
              input_mode="decimal", autocomplete="off", max_length=limits.AMOUNT,
              hint=rx.cond(D.checkout["minimum"] != "",
                           "Between " + D.checkout["minimum"] + " and " + D.checkout["balance"] + ".",
                           "Up to " + D.checkout["balance"] + ".")),
        rx.hstack(rx.text("Amount", weight="medium"), rx.spacer(),
                  rx.text(D.checkout["balance"], weight="bold", size="4"), width="100%", align="center"),
    )


def _card_form() -> rx.Component:
    return StripeCardForm.create(
        _amount(),
        rx.vstack(
            alert_box(D.pay_error),
            rx.text("Your card details go straight to Stripe, our payment processor; ", D.business_name,
                    " never sees them.", size="1", color_scheme="gray", high_contrast=True),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                          disabled=_busy())),
                rx.button(rx.cond(_busy(), rx.spinner(size="2"), rx.icon("lock", size=16, aria_hidden="true")),
                          rx.cond(D.pay_phase == "confirming", "Waiting for your bank…",
                                  rx.cond(D.pay_phase == "paying", "Paying…", "Pay")),
                          type="submit", disabled=_busy(), size="3"),
                justify="end", spacing="3", wrap="wrap", width="100%",
            ),
            spacing="3", width="100%", align="stretch", margin_top="12px",
        ),
        publishable_key=D.checkout["publishable_key"], script_url=D.checkout["js_url"],
        action_secret=D.action_secret, on_token=D.pay_with_card, on_failure=D.card_failed,
        on_action_done=D.action_done, id="pay-form", aria_label="Card payment",
        class_name="portal-pay-form",
    )


def pay_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Pay invoice ", D.invoice["number"]),
            rx.dialog.description("Balance due: ", D.checkout["balance"], size="2", margin_bottom="12px"),
            rx.cond(D.pay_open, _card_form()),
            max_width="480px", style=brand_vars(),
        ),
        open=D.pay_open, on_open_change=D.set_pay_open,
    )
