"""Staff › one document: the field editor while it is a draft; afterwards its status,
signers, audit trail and files. Everything updates live."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.counts import count_label
from portal_app.components.field_editor import FieldEditor
from portal_app.components.fields import DOWNLOAD_LINK, alert_box, field
from portal_app.components.forms import SELECT_STYLE, field_label
from portal_app.components.layout import brand_vars, staff_shell
from portal_app.components.status import status_badge, status_in
from portal_app.models import FIELD_HINT_MAX, FIELD_LABEL_MAX, OPEN_STATUSES, VOIDABLE_STATUSES
from portal_app.state.staff.document_detail import FIELD_LABELS
from portal_app.state.staff.document_detail import StaffDocumentState as S


def _download(label: str, href, icon: str = "download") -> rx.Component:
    # a real request (React Router's <Link> would try to route it)
    return rx.button(rx.el.a(rx.icon(icon, size=16, aria_hidden="true"), label, href=href, **DOWNLOAD_LINK),
                     as_child=True, variant="soft", high_contrast=True)


def _actions() -> rx.Component:
    d = S.doc
    status = d["status"]
    is_open = status_in(status, OPEN_STATUSES)
    return rx.flex(
        rx.cond(status == "draft", rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send for signature",
                                             on_click=S.open_dialog("send"))),
        rx.cond(d["my_turn"], rx.button(rx.link(rx.icon("pen-line", size=16, aria_hidden="true"),
                                                         "Countersign", underline="none",
                                                         href="/staff/documents/" + d["id"] + "/sign"),
                                                 as_child=True)),
        rx.cond(is_open, rx.button(rx.icon("bell", size=16, aria_hidden="true"), "Send reminder", variant="soft",
                                   high_contrast=True, on_click=S.remind)),
        _download("Original PDF", "/api/documents/" + d["id"] + "/original"),
        rx.cond(status == "completed", _download("Signed PDF", "/api/documents/" + d["id"] + "/completed",
                                                 "file-check")),
        rx.cond(status_in(status, VOIDABLE_STATUSES), rx.button(rx.icon("ban", size=16, aria_hidden="true"), "Void",
                                                         variant="soft", color_scheme="red", high_contrast=True,
                                                         on_click=S.open_dialog("void"))),
        spacing="2", wrap="wrap",
    )


def _header() -> rx.Component:
    d = S.doc
    return rx.vstack(
        rx.link("← All documents", href="/staff/documents", size="2"),
        rx.flex(
            rx.hstack(rx.heading(d["title"], as_="h1", size="7", style={"wordBreak": "break-word"}),
                      status_badge("document", d["status"]), align="center", wrap="wrap"),
            _actions(), justify="between", align="center", wrap="wrap", spacing="3", width="100%"),
        rx.text(d["kind"], " for ", d["contact"], " · ", count_label(d["page_count"], "page"),
                rx.cond(d["expires"] != "", " · expires " + d["expires"], ""),
                rx.cond(d["estimate_total"] != "", " · total " + d["estimate_total"], ""),
                size="2", color_scheme="gray", high_contrast=True),
        rx.cond(d["invoice_href"] != "", rx.text(
            "Accepted: became invoice ", rx.link(d["invoice_number"], href=d["invoice_href"], weight="medium"),
            size="2")),
        rx.cond(d["decline_reason"] != "", rx.callout.root(
            rx.callout.text(rx.text.strong("Declined. "), "Reason: ", d["decline_reason"]), color_scheme="red",
            high_contrast=True, role="status", width="100%")),
        rx.cond(d["seal_error"] != "", rx.callout.root(
            rx.callout.text(rx.text.strong("Sealing has not finished yet. "), d["seal_error"],
                            " It is retried automatically for a few minutes; once the cause is fixed (for example "
                            "the sealing certificate), retry now."),
            rx.box(rx.button(rx.icon("refresh-cw", size=14, aria_hidden="true"), "Retry sealing now", size="2",
                             variant="surface", high_contrast=True, on_click=S.retry_sealing)),
            color_scheme="amber", high_contrast=True, role="status", width="100%")),
        spacing="2", width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.card(rx.flex(
        rx.vstack(field_label("Field", "fld-kind"),
                  rx.el.select(*[rx.el.option(label, value=key) for key, label in FIELD_LABELS.items()],
                               id="fld-kind", value=S.tool, on_change=S.set_tool,
                               style={**SELECT_STYLE, "width": "170px"}), spacing="1"),
        rx.vstack(field_label("For", "fld-signer"),
                  rx.el.select(rx.foreach(S.signers, lambda s: rx.el.option(s["name"], value=s["id"])),
                               id="fld-signer", value=S.tool_signer, on_change=S.set_tool_signer,
                               style={**SELECT_STYLE, "width": "220px"}), spacing="1"),
        rx.vstack(field_label("Page", "fld-page"),
                  rx.el.select(rx.foreach(S.pages, lambda _p, i: rx.el.option((i + 1).to_string(),
                                                                             value=i.to_string())),
                               id="fld-page", value=S.tool_page.to_string(), on_change=S.set_tool_page,
                               style={**SELECT_STYLE, "width": "90px"}), spacing="1"),
        rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add field", variant="soft", high_contrast=True,
                  on_click=S.add_at_page),
        rx.text("Or click a spot on a page to place it there. Drag a field to move it, its corner to resize it; "
                "arrow keys move the selected field.", size="2", color_scheme="gray", high_contrast=True,
                max_width="340px"),
        rx.spacer(),
        rx.vstack(
            rx.button(rx.icon("save", size=16, aria_hidden="true"), "Save fields", on_click=S.save_fields,
                      variant=rx.cond(S.dirty, "solid", "soft"), high_contrast=~S.dirty),
            rx.cond(S.dirty, rx.text("Unsaved changes", size="1", color_scheme="amber", high_contrast=True)),
            spacing="1", align="end"),
        spacing="4", wrap="wrap", align="end", width="100%"),
        width="100%", position="sticky", top="0", z_index="5")


def _naming(f) -> rx.Component:
    """A text or checkbox field's label and hint, as the signer will read them (saved with the fields)."""
    text_style = {"fontWeight": "500", "fontSize": "14px"}
    return rx.flex(
        rx.vstack(
            rx.el.label("Label the signer reads", html_for="fld-label", style=text_style),
            rx.input(id="fld-label", key="l-" + f["id"], default_value=f["label"], max_length=FIELD_LABEL_MAX,
                     placeholder="e.g. Company registration number", width="100%",
                     on_blur=lambda v: S.set_field_label(f["id"], v)),
            spacing="1", flex="1 1 260px", min_width="0"),
        rx.vstack(
            rx.el.label("Hint (optional)", html_for="fld-hint", style=text_style),
            rx.input(id="fld-hint", key="h-" + f["id"], default_value=f["hint"], max_length=FIELD_HINT_MAX,
                     placeholder="e.g. As on your certificate of incorporation", width="100%",
                     aria_describedby="fld-hint-help", on_blur=lambda v: S.set_field_hint(f["id"], v)),
            rx.text("Shown under the field to help the signer.", id="fld-hint-help", size="1",
                    color_scheme="gray", high_contrast=True),
            spacing="1", flex="1 1 320px", min_width="0"),
        spacing="3", wrap="wrap", width="100%")


def _selected() -> rx.Component:
    return rx.cond(
        S.selected != "",
        rx.foreach(S.fields, lambda f: rx.cond(
            f["id"] == S.selected,
            rx.card(rx.vstack(rx.hstack(
                rx.text(f["shown_label"], " for ", f["signer_name"], " on page ",
                        (f["page"] + 1).to_string(), weight="medium", size="2"),
                rx.hstack(rx.switch(id="fld-required", checked=f["required"],
                                    on_change=lambda _v: S.toggle_required(f["id"])),
                          rx.el.label("Required", html_for="fld-required"), align="center", spacing="1"),
                rx.button(rx.icon("trash-2", size=14, aria_hidden="true"), "Remove field", size="1", variant="soft",
                          color_scheme="red", high_contrast=True, on_click=S.delete_field(f["id"])),
                spacing="4", align="center", wrap="wrap"),
                rx.cond((f["kind"] == "text") | (f["kind"] == "checkbox"), _naming(f)),
                spacing="3", width="100%"), width="100%"),
        )),
    )


def _signers() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Signers", as_="h2", size="4"),
        rx.foreach(S.signers, lambda s, i: rx.hstack(
            rx.box(width="10px", height="10px", border_radius="50%", background=s["color"], aria_hidden="true"),
            rx.vstack(rx.text((i + 1).to_string(), ". ", s["name"], weight="medium", size="2"),
                      rx.text(s["email"], size="1", color_scheme="gray", high_contrast=True), spacing="0"),
            rx.spacer(),
            rx.vstack(
                rx.text(rx.match(s["status"], ("signed", "Signed " + s["signed"]), ("declined", "Declined"),
                                 rx.cond(s["viewed"] != "", "Viewed " + s["viewed"], "Not viewed yet")),
                        size="1"),
                rx.cond(s["turn"], rx.badge("Their turn", color_scheme="blue", high_contrast=True)),
                spacing="1", align="end"),
            align="center", width="100%")),
        spacing="3", width="100%"), width="100%")


def _trail() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Audit trail", as_="h2", size="4"),
        rx.el.ol(rx.foreach(S.trail, lambda e: rx.el.li(
            rx.text(e["action"], size="2", weight="medium", style={"overflowWrap": "anywhere"}),
            rx.text(e["at"], " · ", e["actor"], size="1", color_scheme="gray", high_contrast=True),
            style={"padding": "6px 0", "borderBottom": "1px solid var(--gray-a4)", "listStyle": "none"})),
            style={"margin": "0", "padding": "0", "width": "100%"}),
        rx.text("Original SHA-256: ", rx.code(S.doc["original_sha256"]), size="1",
                style={"overflowWrap": "anywhere"}),
        rx.cond(S.doc["completed_sha256"] != "",
                rx.text("Signed PDF SHA-256: ", rx.code(S.doc["completed_sha256"]), size="1",
                        style={"overflowWrap": "anywhere"})),
        spacing="3", width="100%"), width="100%")


def _dialogs() -> rx.Component:
    return rx.fragment(
        rx.dialog.root(rx.dialog.content(
            rx.dialog.title("Send for signature"),
            rx.dialog.description("The client gets an email with a link to review and sign.", size="2"),
            rx.vstack(
                field("Expires on (optional)", "doc-expires", type_="date", value=S.expires_on,
                      on_change=S.set_expires_on, hint="After this day the document can no longer be signed."),
                alert_box(S.dialog_error),
                rx.flex(rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", high_contrast=True)),
                        rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send", on_click=S.send),
                        justify="end", spacing="3", width="100%"),
                spacing="3", margin_top="12px"),
            style=brand_vars(), max_width="460px"),
            open=S.dialog == "send", on_open_change=S.set_dialog_open),
        rx.dialog.root(rx.dialog.content(
            rx.dialog.title("Void this document?"),
            rx.dialog.description("Nobody can sign it any more. The audit trail keeps everything that happened.",
                                  size="2"),
            rx.form(rx.vstack(
                field("Reason (optional)", "reason", max_length=limits.VOID_REASON),
                alert_box(S.dialog_error),
                rx.flex(rx.dialog.close(rx.button("Keep it", type="button", variant="soft", color_scheme="gray",
                                                  high_contrast=True)),
                        rx.button("Void document", type="submit", color_scheme="red", high_contrast=True),
                        justify="end", spacing="3", width="100%"),
                spacing="3", margin_top="12px"), on_submit=S.void),
            style=brand_vars(), max_width="460px"),
            open=S.dialog == "void", on_open_change=S.set_dialog_open),
    )


def _pages() -> rx.Component:
    draft = S.doc["status"] == "draft"
    return rx.box(
        FieldEditor.create(pages=S.pages, fields=S.fields, signers=S.signers, selected=S.selected,
                           read_only=~draft, values=S.values, on_change=S.move_fields, on_select=S.select,
                           on_page_click=S.place, on_delete=S.delete_field),
        width="100%", max_width="900px", margin="0 auto",
    )


def staff_document_page() -> rx.Component:
    draft = S.doc["status"] == "draft"
    return staff_shell(
        rx.cond(
            S.found,
            rx.vstack(
                _header(),
                rx.cond(draft, rx.vstack(_toolbar(), _selected(), spacing="2", width="100%"),
                        rx.grid(_signers(), _trail(), columns=rx.breakpoints(initial="1", xl="2"), spacing="4",
                                width="100%", align_items="start")),
                _pages(),
                _dialogs(),
                spacing="4", width="100%", align="stretch"),
            rx.vstack(rx.heading("Document not found", as_="h1", size="7"), alert_box(S.refusal),
                      rx.link("Back to all documents", href="/staff/documents"), spacing="3"),
        ),
    )
