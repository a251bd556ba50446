"""Staff › Files: upload into folders, add links, share, rename, move, delete."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, field
from portal_app.components.files_ui import (
    breadcrumbs,
    download_button,
    files_table,
    pager,
    preview_dialog,
    search_and_sort,
    upload_panel,
)
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.state.staff.files import StaffFilesState as S


def _actions(row) -> rx.Component:
    return rx.hstack(
        download_button(row),
        # what is in a client's own folder is shared with that client only: nothing to set
        rx.cond(~row["client_folder"],
                rx.button(rx.icon("share-2", size=14, aria_hidden="true"), rx.el.span("Share", display=["none", "inline"]),
                          size="1", variant="soft", high_contrast=True,
                          on_click=S.open_dialog("share", row["id"]), aria_label="Share " + row["name"])),
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("ellipsis-vertical", size=14, aria_hidden="true"), size="1",
                                      variant="ghost", high_contrast=True, aria_label="More actions for " + row["name"])),
            rx.menu.content(
                rx.menu.item("Rename", on_select=S.open_dialog("rename", row["id"])),
                rx.menu.item("Move", on_select=S.open_dialog("move", row["id"])),
                rx.menu.separator(),
                rx.menu.item("Delete", color="red", on_select=S.open_dialog("delete", row["id"])),
            ),
        ),
        spacing="2", justify="end", align="center",
    )


def _dialog(kind: str, title: str, *body: rx.Component, description: str = "") -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title, style={"wordBreak": "break-word"}),
            *([rx.dialog.description(description, size="2", color_scheme="gray")] if description else []),
            rx.vstack(alert_box(S.dialog_error), *body, spacing="3", width="100%", padding_top="8px"),
            max_width="min(560px, 95vw)",
            # a dialog renders outside the page shell: give it the workspace's accent too
            style=brand_vars(),
        ),
        open=S.dialog == kind, on_open_change=S.set_dialog_open,
    )


def _buttons(submit: str, color: str = "accent") -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", high_contrast=True, color_scheme="gray")),
        rx.button(submit, type="submit", color_scheme=None if color == "accent" else color),
        justify="end", spacing="3", width="100%",
    )


def _folder_dialog() -> rx.Component:
    return _dialog("folder", "New folder", rx.form(
        rx.vstack(field("Folder name", "name", required=True, max_length=limits.FILE_NAME), _buttons("Create folder"),
                  spacing="3", width="100%"),
        on_submit=S.create_folder, reset_on_submit=False, width="100%"))


def _link_dialog() -> rx.Component:
    return _dialog("link", "Add a link", rx.form(
        rx.vstack(
            field("Title", "title", required=True, max_length=limits.FILE_NAME),
            field("Web address", "url", type_="url", required=True, max_length=limits.LINK_URL, placeholder="https://"),
            rx.vstack(
                rx.el.label("Description (optional)", html_for="f-description",
                            style={"fontWeight": "500", "fontSize": "14px"}),
                rx.text_area(id="f-description", name="description", max_length=limits.LINK_DESCRIPTION, width="100%"),
                spacing="1", width="100%"),
            _buttons("Add link"), spacing="3", width="100%"),
        on_submit=S.add_link, width="100%"))


def _rename_dialog() -> rx.Component:
    return _dialog("rename", "Rename", rx.form(
        rx.vstack(field("New name", "name", required=True, max_length=limits.FILE_NAME, default_value=S.target["name"],
                        key=S.target["id"]),
                  _buttons("Rename"), spacing="3", width="100%"),
        on_submit=S.rename, width="100%"))


def _move_dialog() -> rx.Component:
    return _dialog("move", "Move “" + S.target["name"] + "”", rx.form(
        rx.vstack(
            rx.el.label("Move to", html_for="move-target", style={"fontWeight": "500", "fontSize": "14px"}),
            rx.el.select(
                rx.el.option("Top level (no folder)", value="top"),
                rx.foreach(S.extra["move_targets"],
                           lambda f: rx.el.option(f["name"], value=f["id"])),
                id="move-target", name="target",
                style={"height": "36px", "width": "100%", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                       "background": "white", "padding": "0 8px"},
            ),
            _buttons("Move"), spacing="3", width="100%"),
        on_submit=S.move, width="100%"))


def _delete_dialog() -> rx.Component:
    return _dialog(
        "delete", "Delete “" + S.target["name"] + "”?",
        rx.text(rx.cond(S.target["kind"] == "folder",
                        "The folder and everything in it will be deleted for everyone. This cannot be undone.",
                        "It will be deleted for everyone it is shared with. This cannot be undone."), size="2"),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", high_contrast=True, color_scheme="gray")),
            rx.button("Delete", color_scheme="red", on_click=S.delete),
            justify="end", spacing="3", width="100%"),
    )


def _switch(id_: str, label: str, checked, on_change, help_text) -> rx.Component:
    return rx.hstack(
        rx.switch(id=id_, checked=checked, on_change=on_change),
        rx.vstack(rx.el.label(label, html_for=id_, style={"fontWeight": "500", "fontSize": "14px"}),
                  rx.text(help_text, size="1", color_scheme="gray"), spacing="0"),
        spacing="3", align="center",
    )


def _contact_option(c) -> rx.Component:
    cid = c["public_id"]
    return rx.el.li(rx.checkbox(
        c["name"] + " · " + c["email"], checked=S.share_selected.contains(cid),
        on_change=lambda v: S.toggle_contact(cid, v)), style={"listStyle": "none", "padding": "4px 0"})


def _share_dialog() -> rx.Component:
    own = ~S.share_inherit
    return _dialog(
        "share", "Share “" + S.target["name"] + "”",
        rx.cond(S.share["in_folder"],
                _switch("share-inherit", "Same as its folder", S.share_inherit, S.set_share_inherit,
                        "Shared with whoever can open “" + S.share["folder_name"] + "”.")),
        rx.cond(own, rx.vstack(
            _switch("share-all", "All clients", S.share_all, S.set_share_all,
                    "Every client of this workspace, now and later."),
            rx.text("Specific contacts", size="2", weight="medium"),
            rx.cond(S.share_selected.length() > 0,
                    rx.flex(rx.foreach(S.share_selected, lambda cid: rx.badge(
                        S.share_labels[cid], rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", high_contrast=True,
                                                             aria_label="Remove " + S.share_labels[cid],
                                                             on_click=S.toggle_contact(cid, False)),
                        size="2", variant="soft", high_contrast=True)), spacing="2", wrap="wrap"),
                    rx.text("No specific contacts yet.", size="1", color_scheme="gray")),
            rx.el.label("Find contacts", html_for="share-find", style={"fontSize": "14px"}),
            rx.input(id="share-find", placeholder="Name or email", max_length=limits.SEARCH,
                     on_change=S.find_contacts.debounce(300),
                     width="100%"),
            rx.el.ul(rx.foreach(S.share_candidates, _contact_option), aria_label="Contacts to share with",
                     style={"maxHeight": "180px", "overflowY": "auto", "margin": "0", "padding": "0 8px", "width": "100%",
                            "border": "1px solid var(--gray-a5)", "borderRadius": "6px"}),
            rx.checkbox("Email newly added contacts who have a portal account", checked=S.share_notify,
                        on_change=S.set_share_notify),
            spacing="2", width="100%")),
        rx.cond(S.share_inherit, rx.callout("Can open it now: " + S.share["effective"], icon="users",
                                            size="1", color_scheme="gray", high_contrast=True, width="100%")),
        rx.cond(S.share["kind"] == "file", rx.vstack(
            rx.text("Downloads", size="2", weight="medium"),
            rx.cond(S.share["downloads"].length() > 0,
                    rx.el.ul(rx.foreach(S.share["downloads"], lambda d: rx.el.li(
                        rx.text(d["name"], " first downloaded it on ", d["first"], " (", d["count"], "×)",
                                size="2"))),
                             style={"margin": "0", "paddingLeft": "20px"}),
                    rx.text("No client has downloaded it yet.", size="1", color_scheme="gray")),
            spacing="1", width="100%")),
        rx.hstack(rx.dialog.close(rx.button("Cancel", variant="soft", high_contrast=True, color_scheme="gray")),
                  rx.button("Save sharing", on_click=S.save_sharing), justify="end", spacing="3", width="100%"),
    )


def _usage() -> rx.Component:
    return rx.hstack(
        rx.text(S.extra["used"], " of ", S.extra["quota"], " used", size="1", color_scheme="gray",
                white_space="nowrap"),
        rx.progress(value=S.extra["used_percent"], max=100, width="120px", aria_label="Storage used"),
        spacing="2", align="center",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        breadcrumbs(S, "/staff/files", "All files"),
        rx.hstack(
            rx.button(rx.icon("folder-plus", size=16, aria_hidden="true"), "New folder", variant="soft", high_contrast=True,
                      on_click=S.open_dialog("folder", "")),
            rx.button(rx.icon("link", size=16, aria_hidden="true"), "Add link", variant="soft", high_contrast=True,
                      on_click=S.open_dialog("link", "")),
            spacing="2", wrap="wrap",
        ),
        justify="between", align="center", wrap="wrap", spacing="3", width="100%",
    )


def _empty() -> rx.Component:
    return rx.card(rx.vstack(
        rx.icon("folder-open", size=28, aria_hidden="true", color="var(--gray-9)"),
        rx.cond(S.query != "", rx.text("No file matches “", S.query, "”."),
                rx.text("Nothing here yet. Upload files, create a folder or add a link.")),
        align="center", spacing="2", padding="24px"), width="100%")


def staff_files_page() -> rx.Component:
    return staff_shell(
        rx.cond(S.refusal != "", alert_box(S.refusal), rx.fragment()),
        _toolbar(),
        search_and_sort(S),
        files_table(S, "/staff/files", _actions,
                    extra_columns=[("Shared with", lambda row: rx.text(row["sharing"], size="2"))], empty=_empty()),
        pager(S, "/staff/files"),
        upload_panel(S, rx.cond(S.folder_name != "", "Upload to “" + S.folder_name + "”", "Upload files"),
                     rx.cond(S.extra["in_client_folder"],
                             "Several at once. Files here are visible to this client at once, and to no one else.",
                             "Several at once. Files keep their names; clients see them once you share them.")),
        rx.hstack(
            _usage(), rx.spacer(),
            rx.text(rx.cond(S.extra["client_uploads"], "Clients may upload files.",
                            "Client uploads are off."), " ",
                    rx.link("Change in Configure Portal", href="/staff/sites/portal"), size="1", color_scheme="gray"),
            width="100%", wrap="wrap", spacing="3",
        ),
        _folder_dialog(), _link_dialog(), _rename_dialog(), _move_dialog(), _delete_dialog(), _share_dialog(),
        preview_dialog(S),
        title="Files",
    )
