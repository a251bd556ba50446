"""Settings › Payments: connect Stripe, show the webhook URL, invoice numbering; the
business details invoices carry and the other ways to pay (bank transfer, cheque, free text)."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.components.test_mode import test_mode_ribbon
from portal_app.services.billing.money import CURRENCIES
from portal_app.services.billing.payment_instructions import TEXTS
from portal_app.state.staff.payments import PaymentsSettingsState as S

EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
          "charge.dispute.created", "charge.dispute.closed")


def _test_mode_note() -> rx.Component:
    return callout(
        rx.vstack(
            rx.text(rx.text.strong("This workspace is in demo test mode. "),
                    rx.cond(S.view["test_mode_running"],
                            "Card payments go to a local Stripe stand-in the app started itself; no real money "
                            "moves and no Stripe account is needed.",
                            "Its local Stripe stand-in is not running, so clients cannot pay by card right now "
                            "(restart the app to try again).")),
            rx.text("To take real payments, create a Stripe account, enter its publishable and secret keys "
                    "below, add the webhook endpoint shown under \"Webhook\" in Stripe and paste its signing "
                    "secret here. Test mode then turns off for good; a real install runs with PORTAL_DEMO=0."),
            spacing="2",
        ),
        icon="flask-conical", color_scheme="amber", role="note", width="100%",
    )


def _stripe_card() -> rx.Component:
    v = S.view
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Stripe", as_="h2", size="4"),
                rx.cond(v["test_mode"], rx.badge("Demo test mode", color_scheme="amber", high_contrast=True),
                        rx.cond(v["connected"],
                                rx.badge("Connected", color_scheme="green", high_contrast=True),
                                rx.badge("Not connected", color_scheme="gray", high_contrast=True))),
                spacing="3", align="center",
            ),
            rx.text("Clients pay invoices by card through your own Stripe account. Without it, invoices show "
                    "no Pay Now button and you record payments by hand.", size="2", color_scheme="gray",
                    high_contrast=True),
            rx.cond(v["key_problem"] != "", alert_box(v["key_problem"])),
            rx.cond(v["test_mode"], _test_mode_note()),
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
                field("Default payment terms (days)", "default_terms_days", type_="number", max_length=limits.TERMS_DAYS,
                      min="0", max="365", default_value=v["default_terms_days"], key="t" + v["default_terms_days"],
                      hint="An invoice made from a signed estimate is due this many days after it is issued."),
                rx.button("Save invoice settings", type="submit"),
                spacing="3", width="100%", align="start",
            ),
            on_submit=S.save_invoicing, width="100%",
        ),
        width="100%",
    )


def _detail_field(name: str, hint: str | None = None, **props) -> rx.Component:
    """One text field of the details form (label and limit from payment_instructions.TEXTS)."""
    label, limit, multiline = TEXTS.get(name, ("Email", limits.EMAIL, False) if name == "email"
                                        else ("Phone", limits.PHONE, False))
    error = rx.cond(S.details_field == name, S.details_error, "")
    if not multiline:
        return field(label, name, max_length=limit, default_value=S.details[name], hint=hint, error=error, **props)
    hint_id = f"f-{name}-hint"
    return rx.vstack(
        rx.el.label(label, html_for=f"f-{name}", style={"fontWeight": "500", "fontSize": "14px"}),
        rx.text_area(id=f"f-{name}", name=name, max_length=limit, default_value=S.details[name], rows="3",
                     width="100%", resize="vertical", **({"aria_describedby": hint_id} if hint else {}), **props),
        *([rx.text(hint, id=hint_id, size="1", color_scheme="gray")] if hint else []),
        rx.cond(error != "", rx.text(error, size="2", color_scheme="red", role="alert")),
        spacing="1", width="100%", align="start",
    )


def _offered(name: str, label: str) -> rx.Component:
    return rx.hstack(
        rx.switch(name=name, id=f"f-{name}", default_checked=S.details[name].to(bool)),
        rx.el.label(label, html_for=f"f-{name}", style={"fontSize": "14px", "fontWeight": "500"}),
        spacing="2", align="center",
    )


def _method_box(title: str, switch: rx.Component, *fields: rx.Component) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(title, style={"fontWeight": "600", "fontSize": "15px", "padding": "0 4px"}),
        rx.vstack(switch, *fields, spacing="3", width="100%"),
        style={"border": "1px solid var(--gray-a5)", "borderRadius": "8px", "padding": "8px 14px 14px",
               "margin": "0", "width": "100%", "minWidth": "0"},
    )


def _details_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Business details", as_="h2", size="4"),
            rx.text("Shown in the header of every invoice and its PDF, and to clients who need to get in touch "
                    "about paying.", size="2", color_scheme="gray", high_contrast=True),
            _detail_field("legal_name", hint="Only if it differs from the business name.", autocomplete="organization"),
            _detail_field("address", hint="Street, city, postcode, country: one per line."),
            _detail_field("email", type_="email", autocomplete="email"),
            _detail_field("phone", type_="tel", autocomplete="tel"),
            _detail_field("tax_id"),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _ways_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Other ways to pay", as_="h2", size="4"),
            rx.text("Besides card payment through Stripe (above). Clients see the ways you offer under "
                    "How to pay on their invoices and in the PDF, with the invoice number as reference.",
                    size="2", color_scheme="gray", high_contrast=True),
            _method_box("Bank transfer", _offered("bank_offered", "Offer bank transfer"),
                        _detail_field("bank_holder", hint="Empty: your business name."),
                        _detail_field("bank_name"),
                        rx.grid(_detail_field("bank_account", autocomplete="off"),
                                _detail_field("bank_code", autocomplete="off"),
                                # inputs level even when the narrower column's label wraps
                                columns=rx.breakpoints(initial="1", sm="3fr 2fr"), spacing="3", width="100%",
                                align_items="end"),
                        _detail_field("bank_reference", placeholder="Use the invoice number as reference")),
            _method_box("Cheque", _offered("cheque_offered", "Offer cheques"),
                        _detail_field("cheque_payable_to"),
                        _detail_field("cheque_address", hint="Empty: your postal address.")),
            _method_box("Other instructions", _offered("other_offered", "Show other instructions"),
                        _detail_field("other_text", hint="E.g. cash at the studio, or a payment app.")),
            spacing="3", width="100%", align="start",
        ),
        width="100%",
    )


def _details_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(_details_card(), _ways_card(), columns=rx.breakpoints(initial="1", md="2fr 3fr"), spacing="4",
                    width="100%", align_items="start"),
            rx.cond((S.details_error != "") & (S.details_field == ""), alert_box(S.details_error)),
            rx.cond(S.details_error != "", rx.text("Nothing was saved: correct the field marked above.", size="2",
                                                   color_scheme="red", role="status")),
            rx.button("Save business details and ways to pay", type="submit"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.save_details, key=S.details_version.to_string(), width="100%",
        aria_label="Business details and ways to pay",
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
        test_mode_ribbon(S.view["test_mode"]),
        rx.cond(
            S.view.length() > 0,
            rx.vstack(
                rx.grid(
                    rx.vstack(_stripe_card(), _webhook_card(), spacing="4", width="100%"),
                    _invoicing_card(),
                    columns=rx.breakpoints(initial="1", md="3fr 2fr"), spacing="4", width="100%",
                    align_items="start",
                ),
                _details_form(),
                spacing="4", width="100%",
            ),
            alert_box(S.stripe_error),
        ),
        _disconnect_dialog(),
        title="Payments",
        crumbs=["Settings", "Payments"],
    )
