"""Settings › Payments: connect Stripe, show the webhook URL, invoice numbering."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.services.billing.money import CURRENCIES
from portal_app.state.staff.payments import PaymentsSettingsState as S

EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
          "charge.dispute.created", "charge.dispute.closed")


def _stripe_card() -> rx.Component:
    v = S.view
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Stripe", as_="h2", size="4"),
                rx.cond(v["connected"],
                        rx.badge("Connected", color_scheme="green", high_contrast=True),
                        rx.badge("Not connected", color_scheme="gray", high_contrast=True)),
                spacing="3", align="center",
            ),
            rx.text("Clients pay invoices by card through your own Stripe account. Without it, invoices show "
                    "no Pay Now button and you record payments by hand.", size="2", color_scheme="gray",
                    high_contrast=True),
            rx.cond(v["key_problem"] != "", alert_box(v["key_problem"])),
            alert_box(S.stripe_error),
            rx.form(
                rx.vstack(
                    field("Publishable key", "publishable_key", required=True, max_length=limits.STRIPE_KEY,
                          default_value=v["publishable_key"], key=v["publishable_key"],
                          placeholder="pk_live_… or pk_test_…", autocomplete="off"),
                    field("Secret key", "secret_key", type_="password", max_length=limits.STRIPE_KEY, autocomplete="new-password",
                          placeholder=rx.cond(v["secret_hint"] != "", "Stored: " + v["secret_hint"],
                                              "sk_live_… or sk_test_…"),
                          hint="Kept encrypted. Leave empty to keep the stored key."),
                    field("Webhook signing secret", "webhook_secret", type_="password", max_length=limits.STRIPE_KEY,
                          autocomplete="new-password",
                          placeholder=rx.cond(v["webhook_secret_hint"] != "",
                                              "Stored: " + v["webhook_secret_hint"], "whsec_…"),
                          hint="From the webhook endpoint you add in Stripe (below). Leave empty to keep it."),
                    rx.hstack(
                        rx.button("Save keys", type="submit"),
                        rx.cond(v["connected"], rx.button("Test connection", type="button", variant="soft",
                                                                   high_contrast=True, on_click=S.test_connection)),
                        rx.cond(v["connected"], rx.button("Disconnect", type="button", variant="soft",
                                                                   color_scheme="red", high_contrast=True,
                                                                   on_click=S.set_confirm_disconnect(True))),
                        spacing="3", wrap="wrap",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=S.save_keys, reset_on_submit=True, width="100%",  # secrets never stay in the page
            ),
            rx.cond(S.test_result != "", callout(S.test_result, color_scheme="green", role="status", icon="check",
                                                 width="100%")),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _webhook_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Webhook", as_="h2", size="4"),
            rx.text("In Stripe, open Developers › Webhooks, add an endpoint with this URL and these events, then "
                    "paste its signing secret above.", size="2", color_scheme="gray", high_contrast=True),
            rx.el.label("Webhook URL", html_for="webhook-url", style={"fontWeight": "500", "fontSize": "14px"}),
            rx.input(id="webhook-url", value=S.view["webhook_url"], read_only=True, width="100%",
                     style={"fontFamily": "monospace"}),
            rx.el.ul(*[rx.el.li(rx.code(e)) for e in EVENTS], style={"margin": "0", "paddingLeft": "20px"}),
            spacing="2", width="100%", align="start",
        ),
        width="100%",
    )


def _invoicing_card() -> rx.Component:
    v = S.view
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Invoices", as_="h2", size="4"),
                alert_box(S.invoice_error),
                field("Invoice number prefix", "invoice_prefix", max_length=limits.INVOICE_PREFIX,
                      default_value=v["invoice_prefix"],
                      key="p" + v["invoice_prefix"], hint="Next invoice: " + v["next_number"]),
                rx.vstack(
                    rx.el.label("Default currency", html_for="f-default_currency",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], id="f-default_currency",
                                 name="default_currency", default_value=v["default_currency"],
                                 key="c" + v["default_currency"],
                                 style={"height": "36px", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                                        "padding": "0 8px", "background": "white"}),
                    spacing="1",
                ),
                rx.hstack(
                    rx.checkbox(name="allow_partial", id="f-allow_partial", default_checked=v["allow_partial"],
                                key="a" + v["allow_partial"].to(str)),
                    rx.el.label("Clients may pay part of an invoice", html_for="f-allow_partial", style={"fontSize": "14px"}),
                    spacing="2", align="center",
                ),
                field("Smallest partial payment", "min_partial", max_length=limits.AMOUNT, default_value=v["min_partial"],
                      key="m" + v["min_partial"], placeholder="e.g. 50.00",
                      hint="In the default currency. Empty: any amount."),
                rx.vstack(
                    rx.el.label("When a client signs an estimate", html_for="f-estimate_invoice",
                                style={"fontWeight": "500", "fontSize": "14px"}),
                    rx.el.select(rx.el.option("Create a draft invoice for me to check", value="draft"),
                                 rx.el.option("Create and send the invoice at once", value="sent"),
                                 id="f-estimate_invoice", name="estimate_invoice",
                                 default_value=v["estimate_invoice"], key="e" + v["estimate_invoice"],
                                 style={"height": "36px", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                                        "padding": "0 8px", "background": "white"}),
                    spacing="1",
                ),
                rx.button("Save invoice settings", type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=S.save_invoicing, width="100%",
        ),
        width="100%",
    )


def _disconnect_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect Stripe?"),
            rx.alert_dialog.description("Clients will no longer see Pay Now. Payments already made stay recorded.",
                                        size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True)),
                rx.alert_dialog.action(rx.button("Disconnect", color_scheme="red", on_click=S.disconnect)),
                justify="end", spacing="3", padding_top="12px",
            ),
            style=brand_vars(),
        ),
        open=S.confirm_disconnect, on_open_change=S.set_confirm_disconnect,
    )


def payments_settings_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.view.length() > 0,
            rx.grid(
                rx.vstack(_stripe_card(), _webhook_card(), spacing="4", width="100%"),
                _invoicing_card(),
                columns=rx.breakpoints(initial="1", md="3fr 2fr"), spacing="4", width="100%", align_items="start",
            ),
            alert_box(S.stripe_error),
        ),
        _disconnect_dialog(),
        title="Payments",
        crumbs=["Settings", "Payments"],
    )
