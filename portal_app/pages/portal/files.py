"""The client's Files section: folders, files and links shared with them."""

from __future__ import annotations

import reflex as rx

from portal_app.components.files_ui import (
    breadcrumbs,
    download_button,
    files_table,
    pager,
    preview_dialog,
    search_and_sort,
    upload_panel,
)
from portal_app.components.layout import client_shell, not_available
from portal_app.state.portal.files import ClientFilesState as S


def _actions(row) -> rx.Component:
    return rx.hstack(
        rx.cond(row["previewable"],
                rx.button(rx.icon("eye", size=14, aria_hidden="true"), rx.el.span("Preview", display=["none", "inline"]),
                          size="1", variant="soft", high_contrast=True,
                          on_click=S.open_preview(row["id"]), aria_label="Preview " + row["name"])),
        download_button(row),
        spacing="2", justify="end",
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("folder-open", size=28, aria_hidden="true", color="var(--gray-9)"),
            rx.cond(S.query != "",
                    rx.text("No file matches “", S.query, "”.", size="3"),
                    rx.cond(S.folder_id != "", rx.text("This folder is empty.", size="3"),
                            rx.text("No files have been shared with you yet.", size="3"))),
            rx.cond((S.query == "") & (S.folder_id == ""),
                    rx.text("When your team shares files, folders or links with you, they appear here.",
                            size="2", color_scheme="gray")),
            align="center", spacing="2", padding="24px",
        ),
        width="100%",
    )


def files_page() -> rx.Component:
    return client_shell(
        rx.cond(
            S.refusal != "",
            rx.vstack(not_available(S.refusal), rx.link("Back to all files", href="/files", size="2"),
                      spacing="3", width="100%"),
            rx.vstack(
                breadcrumbs(S, "/files", "All files"),
                search_and_sort(S),
                files_table(S, "/files", _actions, empty=_empty()),
                pager(S, "/files"),
                rx.cond(S.can_upload, upload_panel(
                    S, "Send files to the team",
                    "Files you send land in “Your uploads”, which only you and the team see. Up to "
                    + S.max_upload + " per file.")),
                rx.cond(S.can_upload & (S.upload_folder != "") & (S.folder_id != S.upload_folder),
                        rx.link("Open “Your uploads”", href="/files?folder=" + S.upload_folder, size="2")),
                preview_dialog(S),
                spacing="4", width="100%", align="stretch",
            ),
        ),
        title="Files",
    )
