"""Pieces of the Files pages shared by staff and clients: breadcrumbs, search and sort,
the listing table, the upload panel with a progress bar per file, the preview dialog."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData
from reflex_components_core.core.upload import get_upload_files_context_var_data

from portal_app import limits
from portal_app.components.counts import count_label
from portal_app.components.fields import DOWNLOAD_LINK, VISUALLY_HIDDEN, alert_box
from portal_app.components.layout import brand_vars
from portal_app.components.tables import clipped_link, clipped_text
from portal_app.state.uploads import DeclaredFile

UPLOAD_ID = "files"
SORT_LABELS = {"name": "Name", "date": "Newest first", "size": "Largest first"}


def selected_meta() -> Var:
    """Names and sizes of the files chosen in the dropzone (read in the browser)."""
    return Var(
        _js_expr=f"(filesById['{UPLOAD_ID}'] ?? []).map((f) => ({{name: f.name, size: f.size}}))",
        _var_type=list[DeclaredFile],
        _var_data=VarData.merge(get_upload_files_context_var_data()),
    )


def breadcrumbs(S, base: str, root_label: str) -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link(root_label, href=base, size="2",
                    aria_current=rx.cond((S.folder_id == "") & (S.query == ""), "page", "false")),
            rx.foreach(S.crumbs, lambda c: rx.hstack(
                rx.icon("chevron-right", size=14, aria_hidden="true", color="var(--gray-10)"),
                rx.link(c["name"], href=f"{base}?folder=" + c["id"], size="2",
                        aria_current=rx.cond(c["id"] == S.folder_id, "page", "false")),
                spacing="1", align="center")),
            spacing="1", align="center", wrap="wrap",
        ),
        aria_label="Folder path",
    )


def search_and_sort(S) -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.el.label("Search files", html_for="files-q", style={"position": "absolute", "left": "-9999px"}),
                rx.input(id="files-q", name="q", default_value=S.query, placeholder="Search by name",
                         max_length=limits.SEARCH, width=["100%", "260px"], key=S.query),
                rx.button(rx.icon("search", size=16, aria_hidden="true"), "Search", type="submit", variant="soft",
                          high_contrast=True),
                spacing="2", width="100%",
            ),
            on_submit=S.search, width=["100%", "auto"],
        ),
        rx.hstack(
            rx.el.label("Sort by", html_for="files-sort", style={"fontSize": "14px"}),
            rx.el.select(
                *[rx.el.option(label, value=key) for key, label in SORT_LABELS.items()],
                id="files-sort", value=S.sort, on_change=S.set_sort,
                style={"height": "32px", "borderRadius": "6px", "border": "1px solid var(--gray-a7)",
                       "padding": "0 8px", "background": "white"},
            ),
            spacing="2", align="center",
        ),
        spacing="3", wrap="wrap", justify="between", align="center", width="100%",
    )


# the row's "icon" (services/files/filetypes.py) → its color; the rest are drawn in the text color
_ICON_COLORS = {"folder": "var(--amber-10)", "link": "var(--blue-10)", "image": "var(--green-10)",
                "file-text": "var(--red-10)", "file-spreadsheet": "var(--green-11)",
                "presentation": "var(--orange-10)", "file-archive": None, "file-video": None, "file-audio": None}


def _icon(row) -> rx.Component:
    def icon(tag: str, color: str | None = None) -> rx.Component:
        return rx.icon(tag, size=18, aria_hidden="true", **({"color": color} if color else {}))

    return rx.match(row["icon"], *[(tag, icon(tag, color)) for tag, color in _ICON_COLORS.items()],
                    icon("file"))


def _name_cell(row, base: str, S) -> rx.Component:
    name = rx.match(
        row["kind"],
        ("folder", clipped_link(row["name"], href=f"{base}?folder=" + row["id"], weight="medium")),
        ("link", rx.vstack(
            clipped_link(row["name"], rx.icon("external-link", size=12, aria_hidden="true", margin_left="4px",
                                               display="inline-block", vertical_align="baseline"),  # on the title's line
                         href=row["url"], is_external=True, rel="noopener noreferrer nofollow", weight="medium"),
            rx.cond(row["description"] != "", clipped_text(row["description"], size="1", color_scheme="gray")),
            spacing="0")),
        rx.cond(row["previewable"],
                clipped_link(row["name"], href="#", on_click=S.open_preview(row["id"]).prevent_default,
                             weight="medium", aria_label="Preview " + row["name"]),
                clipped_text(row["name"], weight="medium")),
    )
    # Phones hide the Type, Size and Modified columns: the same facts go on one line under the name.
    meta = rx.cond(row["meta"] != "",
                   rx.text(row["meta"], size="1", color_scheme="gray", display=["block", "none"]))
    return rx.hstack(
        rx.flex(_icon(row), flex_shrink="0"),  # a long name wraps; the icon keeps its size
        rx.vstack(name, meta, spacing="0", min_width="0"),
        spacing="2", align="center", min_width="0", style={"wordBreak": "break-word"},
    )


def download_button(row) -> rx.Component:
    return rx.cond(
        row["kind"] == "file",
        # rx.el.a is React Router's <Link>: without reload_document a click is routed inside
        # the single-page app and the browser never requests the file
        rx.button(rx.el.a(rx.icon("download", size=14, aria_hidden="true"), rx.el.span("Download", display=["none", "inline"]),
                          href=row["download_url"],
                          aria_label="Download " + row["name"], **DOWNLOAD_LINK),
                  as_child=True, size="1", variant="soft", high_contrast=True),
    )


def files_table(S, base: str, actions, extra_columns: list[tuple[str, object]] | None = None,
                empty: rx.Component | None = None) -> rx.Component:
    extra_columns = extra_columns or []
    header = rx.table.header(rx.table.row(
        rx.table.column_header_cell("Name"),
        rx.table.column_header_cell("Type", display=["none", "table-cell"]),
        rx.table.column_header_cell("Size", display=["none", "table-cell"]),
        rx.table.column_header_cell("Modified", display=["none", "none", "table-cell"]),
        *[rx.table.column_header_cell(label, display=["none", "none", "table-cell"]) for label, _ in extra_columns],
        rx.table.column_header_cell(rx.el.span("Actions", style=VISUALLY_HIDDEN)),
    ))

    def row_view(row):
        return rx.table.row(
            rx.table.row_header_cell(_name_cell(row, base, S)),
            rx.table.cell(row["type"], display=["none", "table-cell"]),
            rx.table.cell(row["size"], display=["none", "table-cell"], white_space="nowrap"),
            rx.table.cell(row["updated_label"], display=["none", "none", "table-cell"], white_space="nowrap"),
            *[rx.table.cell(cell(row), display=["none", "none", "table-cell"]) for _, cell in extra_columns],
            rx.table.cell(actions(row), text_align="right"),
            align="center",
        )

    table = rx.table.root(header, rx.table.body(rx.foreach(S.rows, row_view)), variant="surface", width="100%")
    return rx.cond(S.rows.length() > 0, table, empty if empty is not None else rx.fragment())


def pager(S, base: str) -> rx.Component:
    return rx.cond(
        S.pages > 1,
        rx.hstack(
            rx.cond(S.page > 1, rx.link("← Previous", href=f"{base}?folder=" + S.folder_id + "&q=" + S.query
                                        + "&sort=" + S.sort + "&page=" + (S.page - 1).to_string())),
            rx.text("Page ", S.page, " of ", S.pages, " · ", count_label(S.total, "item"), size="2", color_scheme="gray"),
            rx.cond(S.page < S.pages, rx.link("Next →", href=f"{base}?folder=" + S.folder_id + "&q=" + S.query
                                              + "&sort=" + S.sort + "&page=" + (S.page + 1).to_string())),
            spacing="4", align="center", justify="center", width="100%",
        ),
    )


def _upload_row(row) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.match(row["status"],
                     ("done", rx.icon("circle-check", size=16, color="var(--green-10)", aria_hidden="true")),
                     ("error", rx.icon("circle-x", size=16, color="var(--red-10)", aria_hidden="true")),
                     rx.icon("upload", size=16, aria_hidden="true")),
            rx.text(row["name"], size="2", weight="medium", style={"wordBreak": "break-all"}),
            rx.spacer(),
            rx.text(row["size"], size="1", color_scheme="gray", white_space="nowrap"),
            rx.text(rx.match(row["status"], ("done", "Uploaded"), ("error", "Failed"), ("queued", "Waiting"),
                             rx.cond(row["percent"] >= 100, "Saving…", row["percent"].to_string() + "%")),
                    size="1", white_space="nowrap", min_width="64px", text_align="right"),
            width="100%", align="center", spacing="2",
        ),
        rx.progress(value=row["percent"], max=100, width="100%",
                    aria_label="Upload progress of " + row["name"],
                    color_scheme=rx.match(row["status"], ("error", "red"), ("done", "green"), "blue")),
        rx.cond(row["message"] != "", rx.text(row["message"], size="1", color_scheme="red", role="alert")),
        spacing="1", width="100%",
    )


def upload_panel(S, title: str, hint) -> rx.Component:
    """Drop or choose files, see them listed, upload with a progress bar per file."""
    chosen = rx.selected_files(UPLOAD_ID)
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h2", size="4"),
            rx.el.label(
                rx.upload(
                    rx.vstack(
                        rx.icon("upload", size=24, aria_hidden="true"),
                        rx.text("Drop files here, or click to choose", size="2", weight="medium"),
                        rx.text(hint, size="1", color_scheme="gray", high_contrast=True),
                        align="center", spacing="1",
                    ),
                    id=UPLOAD_ID, multiple=True, no_click=True, on_drop_rejected=S.drop_rejected,
                    border="1px dashed var(--gray-a8)", border_radius="8px", padding="16px", width="100%",
                ),
                style={"display": "block", "width": "100%", "cursor": "pointer"},
            ),
            rx.cond(
                chosen.length() > 0,
                rx.vstack(
                    rx.text("Ready to upload:", size="2", weight="medium"),
                    rx.el.ul(rx.foreach(selected_meta(), lambda f: rx.el.li(
                        rx.text(f["name"], size="2", as_="span"))), style={"margin": "0", "paddingLeft": "20px"}),
                    rx.hstack(
                        rx.button(rx.icon("upload", size=16, aria_hidden="true"), "Upload ", count_label(chosen.length(), "file"),
                                  on_click=S.start_upload(selected_meta()), loading=S.uploading,
                                  disabled=S.uploading),
                        rx.button("Clear", variant="soft", high_contrast=True, color_scheme="gray",
                                  on_click=rx.clear_selected_files(UPLOAD_ID)),
                        spacing="2",
                    ),
                    spacing="2", width="100%",
                ),
            ),
            # start_upload accepted the selection: this mounts and sends the files
            rx.cond(S.upload_ready, rx.box(on_mount=[
                S.receive_upload(rx.upload_files_chunk(upload_id=UPLOAD_ID, on_upload_progress=S.upload_progress)),
                rx.clear_selected_files(UPLOAD_ID),
            ])),
            alert_box(S.upload_error),
            rx.cond(S.uploads.length() > 0,
                    rx.vstack(rx.foreach(S.uploads, _upload_row), spacing="3", width="100%",
                              aria_live="polite", role="status")),
            spacing="3", width="100%",
        ),
        width="100%",
    )


# The browser's PDF viewer runs in its own frame (a plugin process in Chromium) and keeps every key
# pressed while it has focus: Escape never reached the dialog once someone clicked into the PDF (and
# the iframe element's own focus event does not fire then, measured). When focus goes into the frame
# (the window loses it), it is handed back to the dialog's Close button, so Escape (and Tab) work
# again; the PDF still scrolls with the wheel or touch, and "Open in a new tab" gives the viewer with
# its own keyboard. Compiled into the page (no eval: our CSP forbids it).
_REFOCUS_HOOK = """useEffect(() => {
  const back = () => setTimeout(() => {
    const frame = document.activeElement;
    if (frame && frame.tagName === "IFRAME" && frame.hasAttribute("data-preview-frame")) {
      frame.closest("[role=dialog]")?.querySelector("[data-preview-close]")?.focus();
    }
  }, 0);
  window.addEventListener("blur", back);
  return () => window.removeEventListener("blur", back);
}, []);"""


class _FocusKeeper(rx.el.Div):
    """An empty div whose hook hands focus back from the preview's PDF frame (see above)."""

    def add_hooks(self) -> list[str | Var]:
        return [Var(_js_expr=_REFOCUS_HOOK, _var_data=VarData(imports={"react": ["useEffect"]}))]


def preview_dialog(S) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            _FocusKeeper.create(),
            rx.dialog.title(S.preview_name, style={"wordBreak": "break-all"}),
            rx.dialog.description("Download the file to keep a copy.", size="1", color_scheme="gray",
                                  high_contrast=True),
            rx.cond(
                S.preview_kind == "pdf",
                rx.el.iframe(src=S.preview_url, title="Preview of " + S.preview_name,
                             custom_attrs={"data-preview-frame": ""},
                             style={"width": "100%", "height": "70vh", "border": "1px solid var(--gray-a5)",
                                    "borderRadius": "6px"}),
                rx.center(rx.image(src=S.preview_url, alt="Preview of " + S.preview_name, max_height="70vh",
                                   max_width="100%", object_fit="contain")),
            ),
            rx.hstack(
                rx.button(rx.el.a(rx.icon("download", size=16, aria_hidden="true"), "Download",
                                  href=S.preview_url.replace("/preview", "/download"), **DOWNLOAD_LINK),
                          as_child=True),
                # small screens and browsers without a built-in PDF viewer: the file on its own
                rx.link("Open in a new tab", href=S.preview_url, is_external=True, size="2"),
                rx.spacer(),
                rx.dialog.close(rx.button("Close", variant="soft", high_contrast=True, color_scheme="gray",
                                          custom_attrs={"data-preview-close": ""})),
                justify="end", align="center", spacing="3", padding_top="12px", wrap="wrap",
            ),
            max_width="min(960px, 95vw)",
            # a dialog renders outside the page shell: give it the workspace's accent too
            style=brand_vars(),
        ),
        open=S.preview_open, on_open_change=S.set_preview_open,
    )
