"""Settings › Webhooks: endpoints (add, enable/disable, rotate the secret, delete), the signing
secret shown once, a delivery log per endpoint with Replay."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.confirm import confirmed
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.layout import staff_shell
from portal_app.components.tables import clipped
from portal_app.state.staff.webhooks import WebhooksState as S


def _kind_box(kind) -> rx.Component:
    box_id = "f-kind-" + kind.to(str)
    return rx.hstack(
        rx.checkbox(name="kind:" + kind.to(str), id=box_id),
        rx.el.label(kind, html_for=box_id, style={"fontSize": "14px"}),
        spacing="2", align="center",
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Add an endpoint", size="4", as_="h2"),
            field("URL", "webhook_url", type_="url", required=True, max_length=limits.WEBHOOK_URL,
                  hint="An https address on the internet that accepts POST requests."),
            field("Description", "webhook_description", max_length=limits.WEBHOOK_DESCRIPTION),
            rx.el.fieldset(
                rx.el.legend("Events to send", style={"fontWeight": "500", "fontSize": "14px"}),
                rx.hstack(rx.checkbox(name="all_kinds", id="f-all_kinds", default_checked=True),
                          rx.el.label("All events (also kinds added later)", html_for="f-all_kinds",
                                      style={"fontSize": "14px"}), spacing="2", align="center"),
                rx.grid(rx.foreach(S.kinds, _kind_box), columns={"initial": "1", "sm": "2", "md": "3"}, gap="2", width="100%"),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            alert_box(S.form_error),
            rx.button("Add endpoint", type="submit"),
            spacing="3", width="100%", align="start",
        ),
        on_submit=S.add, key=S.form_version.to(str), width="100%", aria_label="Add a webhook endpoint",
    )


def _secret() -> rx.Component:
    return rx.cond(
        S.new_secret != "",
        callout(
            rx.vstack(
                rx.text("Signing secret for ", rx.el.strong(S.secret_for), ". Copy it now: it is not shown again.",
                        size="2"),
                rx.el.code(S.new_secret, aria_label="Signing secret", style={"wordBreak": "break-all"}),
                rx.button("I have copied it", size="1", variant="soft", high_contrast=True, on_click=S.dismiss_secret),
                spacing="2", align="start",
            ),
            color_scheme="amber", role="status", width="100%",
        ),
    )


def _endpoint(row: dict) -> rx.Component:
    label = row["url"].to(str)
    return rx.table.row(
        rx.table.row_header_cell(clipped(row["url"])),
        rx.table.cell(clipped(row["description"])),
        rx.table.cell(clipped(row["kinds"])),
        rx.table.cell(row["status"]),
        rx.table.cell(rx.hstack(
            rx.button("Deliveries", size="1", variant="soft", high_contrast=True, on_click=S.show_log(row["id"]),
                      aria_label="Deliveries of " + label),
            rx.cond(row["enabled"],
                    rx.button("Disable", size="1", variant="soft", high_contrast=True, on_click=S.set_enabled(row["id"], False),
                              aria_label="Disable " + label),
                    rx.button("Enable", size="1", variant="soft", high_contrast=True, on_click=S.set_enabled(row["id"], True),
                              aria_label="Enable " + label)),
            confirmed(rx.button("New secret", size="1", variant="soft", high_contrast=True,
                                 aria_label="New secret for " + label),
                       "Replace the signing secret?",
                       "The current secret stops working at once: the receiver must be given the new one, "
                       "shown next, before it can verify deliveries again.",
                       "Replace the secret", S.rotate(row["id"])),
            confirmed(rx.button("Delete", size="1", variant="soft", high_contrast=True, color_scheme="red",
                                 aria_label="Delete " + label),
                       "Delete this endpoint?",
                       "No more events are sent to it, and its delivery log goes with it.",
                       "Delete endpoint", S.delete(row["id"])),
            spacing="2", wrap="wrap",
        )),
    )


def _delivery(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["kind"]),
        rx.table.cell(row["event"]),
        rx.table.cell(row["attempt"]),
        rx.table.cell(row["status"]),
        rx.table.cell(row["duration"], white_space="nowrap"),
        rx.table.cell(clipped(row["error"])),
        rx.table.cell(row["at"], white_space="nowrap"),
        rx.table.cell(rx.button("Replay", size="1", variant="soft", high_contrast=True, on_click=S.replay(row["id"]),
                                aria_label="Replay " + row["kind"].to(str) + " " + row["event"].to(str))),
    )


def _log() -> rx.Component:
    return rx.cond(
        S.log_for != "",
        rx.vstack(
            rx.heading("Deliveries to ", S.log_url, size="4", as_="h2"),
            rx.cond(
                S.log.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Event", "Event id", "Attempt", "HTTP status", "Duration", "Error", "When")],
                        rx.table.column_header_cell(rx.el.span("Actions")))),
                    rx.table.body(rx.foreach(S.log, _delivery)), variant="surface", width="100%"),
                    overflow_x="auto", width="100%"),
                callout("Nothing delivered yet.", color_scheme="gray", role="status"),
            ),
            spacing="3", width="100%", align="start",
        ),
    )


def webhooks_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.text("Webhooks tell your other systems what happens here (an invoice sent or paid, a document "
                        "signed): each event is POSTed as JSON, signed per the Standard Webhooks spec, and "
                        "retried for about three days until the receiver answers 2xx.", size="2",
                        color_scheme="gray", high_contrast=True),
                _secret(),
                rx.cond(
                    S.rows.length() > 0,
                    rx.box(rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            "URL", "Description", "Events", "Status")],
                            rx.table.column_header_cell(rx.el.span("Actions")))),
                        rx.table.body(rx.foreach(S.rows, _endpoint)), variant="surface", width="100%"),
                        overflow_x="auto", width="100%"),
                    callout("No endpoints yet.", color_scheme="gray", role="status"),
                ),
                _log(),
                _add_form(),
                spacing="5", width="100%",
            ),
        ),
        title="Webhooks", crumbs=["Settings", "Webhooks"],
    )
