"""The dev outbox: mail the portal 'sent' while PORTAL_MAIL=outbox; owners only. One-time
links in mail to anyone but the owner reading it show redacted (services/portal/staff_views.py)."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import DOWNLOAD_LINK, callout
from portal_app.components.layout import staff_shell
from portal_app.state.staff.outbox import OutboxState


def _attachment(a: dict) -> rx.Component:
    return rx.el.li(
        rx.el.a(rx.icon("paperclip", size=14, aria_hidden="true"), a["name"], href=a["url"], **DOWNLOAD_LINK,
                style={"display": "inline-flex", "alignItems": "center", "gap": "4px"}),
        rx.text(" ", a["type"], ", ", a["size"], as_="span", size="1", color_scheme="gray"),
    )


def _mail(m: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(m["subject"], weight="bold"), rx.spacer(),
                      rx.text(m["at"], size="1", color_scheme="gray"), width="100%", wrap="wrap"),
            rx.cond(m["sender"] != "", rx.text("From: ", m["sender"], size="2", style={"overflowWrap": "anywhere"})),
            rx.cond(m["reply_to"] != "", rx.text("Reply-To: ", m["reply_to"], size="2",
                                                 style={"overflowWrap": "anywhere"})),
            rx.text("To: ", m["to"], size="2"),
            rx.cond(m["link"] != "", rx.link("Open the link in this email", href=m["link"], size="2")),
            rx.cond(m["redacted"] != "",
                    rx.text("One-time links are hidden here: they are for the person this email was sent to.",
                            size="2", color_scheme="gray")),
            rx.el.pre(m["text"], style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere",
                                        "fontSize": "13px", "margin": "0"}),
            rx.cond(m["attachments"].length() > 0,
                    rx.el.ul(rx.foreach(m["attachments"], _attachment), aria_label="Attachments",
                             style={"margin": "0", "paddingLeft": "0", "listStyle": "none", "fontSize": "14px"})),
            spacing="2", align="stretch",
        ),
        width="100%",
    )


def outbox_page() -> rx.Component:
    return staff_shell(
        rx.text("With PORTAL_MAIL=outbox email is not sent: it lands here. Links that sign someone in "
                "(password resets, invitations, email confirmations) show only in mail to you. "
                "Set PORTAL_MAIL=smtp to send.", size="2", color_scheme="gray"),
        rx.cond(OutboxState.error != "", callout(OutboxState.error, color_scheme="gray", role="status")),
        rx.cond(OutboxState.mails.length() > 0, rx.vstack(rx.foreach(OutboxState.mails, _mail), spacing="3",
                                                          width="100%"),
                rx.cond(OutboxState.error == "", callout("No mail yet.", color_scheme="gray", role="status"))),
        title="Dev outbox",
    )
