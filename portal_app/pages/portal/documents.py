"""The client's Documents section: the list (awaiting their signature first) and the
signing page (/documents/[document_id])."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import DOWNLOAD_LINK, VISUALLY_HIDDEN
from portal_app.components.layout import client_shell, not_available
from portal_app.components.signing_ui import signing_body
from portal_app.components.status import status_badge, status_in
from portal_app.components.tables import clipped_link
from portal_app.models import OPEN_STATUSES
from portal_app.state.base import BaseState
from portal_app.state.portal.documents import ClientDocumentsState as L
from portal_app.state.signing import SigningState as S


def _row(row) -> rx.Component:
    waiting = status_in(row["status"], OPEN_STATUSES)
    return rx.table.row(
        rx.table.row_header_cell(rx.vstack(
            clipped_link(row["title"], href="/documents/" + row["id"], weight="medium"),
            rx.text(row["kind"], size="1", color_scheme="gray", high_contrast=True), spacing="0", align="start")),
        rx.table.cell(rx.cond(row["sent"] != "", row["sent"], "—"), white_space="nowrap",
                      display=["none", "table-cell"]),
        rx.table.cell(status_badge("document", row["status"])),
        rx.table.cell(rx.cond(waiting, rx.button(rx.link("Review and sign", href="/documents/" + row["id"],
                                                         underline="none"), as_child=True,
                                                size=rx.breakpoints(initial="1", sm="2"), white_space="nowrap"),
                              rx.cond(row["status"] == "completed",
                                      rx.link("Download", href="/api/documents/" + row["id"] + "/completed",
                                              **DOWNLOAD_LINK, size="2")))),
        align="center",
    )


def _list() -> rx.Component:
    return rx.cond(
        L.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Document"),
                rx.table.column_header_cell("Sent", display=["none", "table-cell"]),
                rx.table.column_header_cell("Status"),
                rx.table.column_header_cell(rx.el.span("Action", style=VISUALLY_HIDDEN)),
            )),
            rx.table.body(rx.foreach(L.rows, _row)), variant="surface", width="100%"),
        rx.card(rx.vstack(
            rx.icon("file-pen-line", size=28, aria_hidden="true", color="var(--gray-9)"),
            rx.text("No documents have been sent to you yet.", size="3"),
            rx.text("When ", BaseState.business_name, " sends you a proposal, contract or estimate to sign, it "
                    "appears here.", size="2", color_scheme="gray", high_contrast=True),
            align="center", spacing="2", padding="24px", text_align="center"), width="100%"),
    )


def documents_page() -> rx.Component:
    return client_shell(
        rx.vstack(
            rx.heading("Documents", as_="h1", size="7"),
            rx.cond(L.refusal != "", not_available(L.refusal), rx.cond(L.loaded, _list(), rx.spinner())),
            spacing="4", width="100%", align="stretch"),
    )


def signing_page() -> rx.Component:
    return client_shell(
        rx.cond(S.refusal != "",
                rx.vstack(rx.heading("Document", as_="h1", size="7"), not_available(S.refusal),
                          rx.link("Back to your documents", href="/documents", size="2"), spacing="3"),
                rx.cond(S.loaded, signing_body("/documents", "← All documents"), rx.center(rx.spinner(size="3"))),
                ),
    )
