"""Staff › Documents & Contracts: the list and the new-document form."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, callout, field
from portal_app.components.forms import LABEL_STYLE, SELECT_STYLE, field_error, field_label
from portal_app.components.layout import staff_shell
from portal_app.components.line_items import line_items
from portal_app.components.status import status_badge
from portal_app.components.tables import clipped, clipped_link, clipped_text
from portal_app.models.status import status_labels
from portal_app.services.billing.money import CURRENCIES
from portal_app.state.staff.documents import NewDocumentState as N
from portal_app.state.staff.documents import StaffDocumentsState as L

# every status but "sealing" (a moment between the last signature and "completed")
STATUS_FILTERS = {"": "All", **{k: v for k, v in status_labels("document").items() if k != "sealing"}}


def _filters() -> rx.Component:
    return rx.hstack(
        field_label("Show", "doc-status"),
        rx.el.select(*[rx.el.option(label, value=key) for key, label in STATUS_FILTERS.items()],
                     id="doc-status", value=L.status, on_change=L.set_status, style={**SELECT_STYLE, "width": "220px"}),
        align="center", spacing="2",
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.vstack(
            clipped_link(row["title"], href="/staff/documents/" + row["id"], weight="medium"),
            clipped_text(row["kind"] + " · " + row["contact"], size="1", color_scheme="gray", high_contrast=True),
            spacing="0")),
        rx.table.cell(clipped(row["contact"]), display=["none", "none", "table-cell"]),
        rx.table.cell(rx.cond(row["sent"] != "", row["sent"], "—"), display=["none", "table-cell"],
                      white_space="nowrap"),
        rx.table.cell(row["updated"], display=["none", "none", "table-cell"], white_space="nowrap"),
        rx.table.cell(status_badge("document", row["status"])),
    )


def _table() -> rx.Component:
    return rx.cond(
        L.rows.length() > 0,
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell("Document"),
                rx.table.column_header_cell("Client", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Sent", display=["none", "table-cell"]),
                rx.table.column_header_cell("Last change", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Status"),
            )),
            rx.table.body(rx.foreach(L.rows, _row)),
            variant="surface", width="100%"), overflow_x="auto", width="100%"),
        callout(rx.cond(L.status != "", "No document matches this filter.",
                        "No documents yet. Upload a contract, proposal or estimate with New document."),
                color_scheme="gray", role="status", width="100%"),
    )


def _pager() -> rx.Component:
    return rx.cond(
        L.pages > 1,
        rx.hstack(
            rx.cond(L.page > 1, rx.link("← Previous", href="/staff/documents?status=" + L.status + "&page="
                                        + (L.page - 1).to_string())),
            rx.text("Page ", L.page, " of ", L.pages, size="2", color_scheme="gray", high_contrast=True),
            rx.cond(L.page < L.pages, rx.link("Next →", href="/staff/documents?status=" + L.status + "&page="
                                              + (L.page + 1).to_string())),
            spacing="4", justify="center", width="100%"),
    )


def staff_documents_page() -> rx.Component:
    return staff_shell(
        alert_box(L.refusal),
        rx.flex(
            _filters(),
            rx.button(rx.link(rx.icon("plus", size=16, aria_hidden="true"), "New document", underline="none",
                              href="/staff/documents/new"), as_child=True),
            justify="between", align="center", wrap="wrap", spacing="3", width="100%"),
        _table(),
        _pager(),
        title="Documents & Contracts", crumbs=["Payments"],
    )


# ------------------------------------------------------------------ new document


def _contact() -> rx.Component:
    return rx.vstack(
        rx.text("Client who signs", style=LABEL_STYLE),
        rx.cond(
            N.contact.contains("public_id"),
            rx.hstack(rx.icon("user", size=18, aria_hidden="true"),
                      rx.vstack(rx.text(N.contact["name"], weight="medium"),
                                rx.text(N.contact["email"], size="1", color_scheme="gray", high_contrast=True),
                                spacing="0"),
                      rx.spacer(),
                      rx.button("Change", type="button", size="1", variant="soft", high_contrast=True,
                                on_click=N.change_contact), align="center", width="100%"),
            rx.vstack(
                rx.el.label("Find a client", html_for="doc-contact", style=LABEL_STYLE),
                rx.input(id="doc-contact", placeholder="Name, email or company", max_length=limits.SEARCH, width="100%",
                         size="3", on_change=N.find_contacts.debounce(300)),
                rx.cond(N.contact_options.length() > 0, rx.el.ul(
                    rx.foreach(N.contact_options, lambda c: rx.el.li(
                        rx.button(rx.text(c["name"], as_="span", weight="medium"),
                                  rx.text(c["email"], as_="span", size="1", color_scheme="gray", high_contrast=True),
                                  type="button", variant="ghost", high_contrast=True,
                                  on_click=N.choose_contact(c["public_id"])),
                        style={"listStyle": "none", "padding": "2px 0"})),
                    aria_label="Clients to choose from",
                    style={"margin": "0", "padding": "4px 8px", "width": "100%", "border": "1px solid var(--gray-a5)",
                           "borderRadius": "6px"})),
                spacing="1", width="100%"),
        ),
        field_error(rx.cond(N.error_field == "contact", N.error, "")),
        spacing="1", width="100%",
    )


def _estimate() -> rx.Component:
    return rx.cond(
        N.kind == "estimate",
        rx.vstack(
            rx.heading("Estimate lines", as_="h2", size="3"),
            rx.text("When the client signs, these lines become an invoice.", size="2", color_scheme="gray",
                    high_contrast=True),
            rx.hstack(field_label("Currency", "est-currency"),
                      rx.el.select(*[rx.el.option(c, value=c) for c in CURRENCIES], id="est-currency",
                                   value=N.currency, on_change=N.set_currency,
                                   style={**SELECT_STYLE, "width": "120px"}), align="center"),
            line_items(N, group_label="Estimate line", amounts=False, required=False,
                       error=field_error(rx.cond(N.error_field == "estimate", N.error, ""))),
            spacing="2", width="100%",
        ),
    )


def _file() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.upload(
                rx.vstack(rx.icon("file-up", size=24, aria_hidden="true"),
                          rx.text("Drop the PDF here, or click to choose it", size="2"),
                          rx.text("One PDF, up to 25 MB. Password-protected PDFs and PDFs with scripts are refused.",
                                  size="1", color_scheme="gray", high_contrast=True),
                          rx.foreach(rx.selected_files("doc-file"), lambda f: rx.text(f, size="2", weight="medium")),
                          align="center", spacing="1"),
                id="doc-file", accept={"application/pdf": [".pdf"]}, max_files=1, multiple=False, no_click=True,
                border="1px dashed var(--gray-a8)", border_radius="8px", padding="16px", width="100%"),
            style={"display": "block", "width": "100%", "cursor": "pointer"},
        ),
        field_error(rx.cond(N.error_field == "file", N.error, "")),
        spacing="1", width="100%",
    )


def new_document_page() -> rx.Component:
    return staff_shell(
        rx.card(rx.vstack(
            rx.vstack(
                field_label("Type", "doc-kind"),
                rx.el.select(rx.el.option("Contract", value="contract"), rx.el.option("Proposal", value="proposal"),
                             rx.el.option("Estimate", value="estimate"), id="doc-kind", value=N.kind,
                             on_change=N.set_kind, style={**SELECT_STYLE, "width": "220px"}),
                spacing="1"),
            field("Title", "doc-title", value=N.title, on_change=N.set_title, required=True, max_length=limits.DOCUMENT_TITLE,
                  error=rx.cond(N.error_field == "title", N.error, "")),
            rx.vstack(field_label("Message to the client (optional)", "doc-message"),
                      rx.text_area(id="doc-message", value=N.message, on_change=N.set_message, max_length=limits.DOCUMENT_MESSAGE,
                                   rows="3", width="100%"), spacing="1", width="100%"),
            _contact(),
            rx.hstack(rx.switch(id="doc-countersign", checked=N.countersign, on_change=N.set_countersign),
                      rx.el.label("I countersign after the client", html_for="doc-countersign",
                                  style={"fontWeight": "500"}), align="center", spacing="2"),
            _estimate(),
            _file(),
            rx.cond((N.error != "") & (N.error_field == ""), alert_box(N.error)),
            rx.hstack(
                rx.button(rx.icon("arrow-right", size=16, aria_hidden="true"), "Upload and place fields",
                          on_click=N.upload(rx.upload_files(upload_id="doc-file")), size="3"),
                rx.link("Cancel", href="/staff/documents", size="2"),
                spacing="4", align="center"),
            spacing="4", width="100%"), width="100%", max_width="760px"),
        title="New document", crumbs=["Payments", "Documents & Contracts"],
    )
