"""The history list the client's Communications page and the staff contact record's Timeline
share (state/timeline.TimelineMixin): filter chips, the entries newest first (icon per kind,
title, time, link, an email's delivery status and its text in a dialog), "Load more".

Every value is shown as text: an email's body is plain text in a <pre>, never rx.html."""

from __future__ import annotations

import reflex as rx

from portal_app.state.timeline import FILTERS

STATUS_TEXT = {"queued": "Queued", "sent": "Sent", "failed": "Not delivered yet"}


def _icon(kind) -> rx.Component:
    def icon(name: str) -> rx.Component:
        return rx.icon(name, size=18, aria_hidden="true", color="var(--accent-11)")

    return rx.match(
        kind,
        ("message", icon("message-circle")),
        ("email", icon("mail")),
        ("invoice", icon("receipt")),
        ("document", icon("file-pen-line")),
        ("file", icon("folder")),
        ("account", icon("user")),
        ("appointment", icon("calendar")),
        icon("circle"),
    )


def _status(status) -> rx.Component:
    return rx.match(
        status,
        ("queued", rx.badge("Queued", color_scheme="gray", variant="soft", high_contrast=True)),
        ("sent", rx.badge("Sent", color_scheme="green", variant="soft", high_contrast=True)),
        ("failed", rx.badge("Not delivered yet", color_scheme="red", variant="soft", high_contrast=True)),
        rx.fragment(),
    )


def _chips(S, list_id: str) -> rx.Component:
    return rx.hstack(
        *[rx.button(f["label"], size="1", variant=rx.cond(S.tl_kind == f["value"], "solid", "soft"),
                    high_contrast=True, aria_pressed=rx.cond(S.tl_kind == f["value"], "true", "false"),
                    aria_controls=list_id, on_click=S.tl_filter(f["value"]), type="button")
          for f in FILTERS],
        spacing="2", wrap="wrap", role="group", aria_label="Show",
    )


def _entry(S, item, staff: bool) -> rx.Component:
    title = rx.cond(item["link"] != "", rx.link(item["title"], href=item["link"], weight="medium", size="2"),
                    rx.text(item["title"], weight="medium", size="2"))
    return rx.el.li(
        rx.hstack(
            rx.box(_icon(item["kind"]), padding_top="2px", flex_shrink="0"),
            rx.vstack(
                rx.hstack(
                    rx.box(title, style={"overflowWrap": "anywhere"}),
                    _status(item["status"]),
                    *([rx.cond(item["internal"], rx.badge("Internal", color_scheme="amber", variant="soft",
                                                          high_contrast=True))] if staff else []),
                    spacing="2", wrap="wrap", align="center",
                ),
                rx.el.time(item["at"], date_time=item["at_iso"],
                           style={"fontSize": "12px", "color": "var(--gray-11)"}),
                rx.cond(item["detail"] != "", rx.text(item["detail"], size="2", color_scheme="gray", high_contrast=True,
                                                      style={"overflowWrap": "anywhere"})),
                rx.cond(item["email"], rx.button("Open email", size="1", variant="soft", high_contrast=True,
                                                 type="button", on_click=S.tl_open(item["id"]),
                                                 aria_label="Open email: " + item["title"])),
                spacing="1", align="start", min_width="0",
            ),
            spacing="3", align="start", width="100%",
        ),
        style={"padding": "12px 0", "borderBottom": "1px solid var(--gray-a4)"},
    )


def _email_dialog(S) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.tl_open_title, style={"overflowWrap": "anywhere"}),
            rx.dialog.description("The email as it was sent, in plain text. One-time links are hidden.",
                                  size="2", color_scheme="gray", high_contrast=True),
            rx.el.pre(S.tl_open_body, style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere",
                                             "fontFamily": "inherit", "fontSize": "14px", "margin": "12px 0",
                                             "maxHeight": "60vh", "overflowY": "auto"},
                      tab_index=0, aria_label="Email text"),
            rx.flex(rx.dialog.close(rx.button("Close", variant="soft", high_contrast=True)), justify="end"),
            max_width="640px",
        ),
        open=S.tl_open_id != "",
        on_open_change=S.tl_set_open,
    )


def timeline_list(S, *, staff: bool, heading_level: str = "h2", empty: str, list_id: str) -> rx.Component:
    return rx.vstack(
        _chips(S, list_id),
        rx.cond(S.tl_error != "", rx.callout(S.tl_error, color_scheme="red", role="alert", width="100%")),
        rx.cond(
            S.tl_items.length() > 0,
            rx.el.ol(rx.foreach(S.tl_items, lambda item: _entry(S, item, staff)), id=list_id,
                     style={"listStyle": "none", "padding": "0", "margin": "0", "width": "100%"},
                     aria_label="History, newest first"),
            rx.cond(S.tl_loaded,
                    rx.text(rx.cond(S.tl_kind != "", "Nothing of this kind yet.", empty), size="2",
                            color_scheme="gray", high_contrast=True, id=list_id),
                    rx.center(rx.spinner(), padding="16px", width="100%")),
        ),
        rx.cond(S.tl_more, rx.button("Load more", variant="soft", high_contrast=True, type="button",
                                     on_click=S.tl_load_more)),
        _email_dialog(S),
        spacing="3", width="100%", align="stretch",
    )
