"""A destructive action that asks first: an alert dialog (focus held inside; Escape or Cancel
keeps things as they were). Settings › Webhooks and Automations use it."""

from __future__ import annotations

import reflex as rx


def confirmed(trigger: rx.Component, title: str, text, action: str, handler) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(text, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True)),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", high_contrast=True, on_click=handler)),
                spacing="3", justify="end", margin_top="16px", wrap="wrap",
            ),
            max_width="440px",
        ),
    )
