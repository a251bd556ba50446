"""The staff inbox: the conversations list (search, mine/unassigned/all, open/resolved) and the
open thread beside it on a wide screen (on a phone: the list, then the thread alone), with the
client's contact card, the reply composer (internal notes, canned replies), assignment and
Resolve/Reopen. Message text is plain text: never HTML."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.confirm import confirmed
from portal_app.components.fields import VISUALLY_HIDDEN, alert_box, callout, field
from portal_app.components.forms import SELECT_STYLE, field_label
from portal_app.components.layout import PHONE_NAV, brand_vars, staff_shell
from portal_app.components.message_text import (
    TYPING_CSS,
    TypingWatch,
    attach_button,
    attachment_view,
    message_text,
    upload_bar,
)
from portal_app.components.tables import clipped_text
from portal_app.state.staff.inbox import InboxState as S

NOTE_BG = "var(--amber-3)"
NOTE_BORDER = "1px dashed var(--amber-9)"


def _filters() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="q", default_value=S.q, placeholder="Search name or message", max_length=limits.SEARCH,
                         aria_label="Search conversations", type="search", width="100%"),
                rx.button(rx.icon("search", size=16, aria_hidden="true"), rx.el.span("Search", style=VISUALLY_HIDDEN),
                          type="submit", variant="soft", high_contrast=True, aria_label="Search"),
                spacing="2", width="100%",
            ),
            on_submit=S.search, width="100%", role="search",
        ),
        rx.grid(
            rx.vstack(field_label("Assigned", "inbox-who"),
                      rx.el.select(rx.el.option("All", value="all"), rx.el.option("Mine", value="mine"),
                                   rx.el.option("Unassigned", value="unassigned"),
                                   id="inbox-who", value=S.who, on_change=S.set_who, style=SELECT_STYLE),
                      spacing="1", width="100%"),
            rx.vstack(field_label("Status", "inbox-status"),
                      rx.el.select(rx.el.option("Open", value="open"), rx.el.option("Resolved", value="resolved"),
                                   rx.el.option("All", value="all"),
                                   id="inbox-status", value=S.status_filter, on_change=S.set_status_filter,
                                   style=SELECT_STYLE),
                      spacing="1", width="100%"),
            columns="2", spacing="2", width="100%",
        ),
        spacing="2", width="100%",
    )


def _row(row: dict) -> rx.Component:
    current = row["id"] == S.selected
    return rx.el.li(
        rx.link(
            rx.vstack(
                rx.hstack(
                    rx.cond(row["unread"], rx.box(width="8px", height="8px", border_radius="50%",
                                                  background="var(--brand)", flex_shrink="0", aria_hidden="true")),
                    clipped_text(row["contact"], size="2", weight=rx.cond(row["unread"], "bold", "medium"),
                                 max_width="100%"),
                    rx.spacer(),
                    rx.text(row["when"], size="1", color_scheme="gray", high_contrast=True, white_space="nowrap"),
                    align="center", spacing="2", width="100%",
                ),
                clipped_text(rx.cond(row["preview"] != "", row["preview"], "No messages yet"), size="2",
                             color_scheme="gray", high_contrast=True, max_width="100%"),
                rx.hstack(
                    rx.cond(row["unread"], rx.badge("Unread", color_scheme="blue", variant="solid", size="1",
                                                    high_contrast=True)),
                    rx.cond(row["status"] == "resolved", rx.badge("Resolved", color_scheme="green", size="1",
                                                                  high_contrast=True)),
                    rx.cond(row["assigned"] != "", rx.text("→ ", row["assigned"], size="1", color_scheme="gray",
                                                           high_contrast=True)),
                    spacing="2", align="center",
                ),
                spacing="1", width="100%", align="start",
            ),
            href="/staff/inbox/" + row["id"], underline="none", color_scheme="gray", high_contrast=True,
            display="block", padding="10px 12px", border_radius="6px",
            aria_current=rx.cond(current, "page", "false"),
            background=rx.cond(current, "var(--gray-a4)", "transparent"),
            box_shadow=rx.cond(current, "inset 3px 0 0 var(--brand)", "none"),
            _hover={"background": "var(--gray-a3)"},
        ),
        style={"listStyle": "none", "borderBottom": "1px solid var(--gray-a4)"},
    )


def _list_column() -> rx.Component:
    return rx.box(
        rx.vstack(
            _filters(),
            rx.cond(
                S.rows.length() > 0,
                rx.el.ul(rx.foreach(S.rows, _row), aria_label="Conversations",
                         style={"margin": "0", "padding": "0", "width": "100%"}),
                callout("No conversations here.", color_scheme="gray", role="status", width="100%"),
            ),
            rx.cond(
                S.pages > 1,
                rx.hstack(
                    rx.button("Previous", size="1", variant="soft", high_contrast=True, on_click=S.go_page(-1),
                              disabled=S.page <= 1),
                    rx.text("Page ", S.page, " of ", S.pages, size="1"),
                    rx.button("Next", size="1", variant="soft", high_contrast=True, on_click=S.go_page(1),
                              disabled=S.page >= S.pages),
                    spacing="2", align="center",
                ),
            ),
            spacing="3", width="100%",
        ),
        data_selected=rx.cond(S.selected != "", "true", "false"),
        style={PHONE_NAV: {"&[data-selected='true']": {"display": "none"}}},
        background="white", border="1px solid var(--gray-a5)", border_radius="8px", padding="12px",
        width="100%", min_width="0",
    )


def _message(m: dict) -> rx.Component:
    internal = m["internal"].bool()
    return rx.box(
        rx.hstack(
            rx.text(m["author_name"], size="1", weight="bold"),
            rx.text(m["when"], size="1", color_scheme="gray", high_contrast=True),
            rx.cond(internal, rx.badge(rx.icon("lock", size=12, aria_hidden="true"), "Internal note", size="1",
                                      color_scheme="amber", high_contrast=True)),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.cond(m["parts"].length() > 0, message_text(m["parts"])),
        attachment_view(m["att_name"], m["att_url"], m["att_image"]),
        rx.cond(internal, rx.text("Only your team sees this", size="1", color_scheme="amber", high_contrast=True)),
        rx.cond(~internal & (m["author"] == "staff") & m["read"].bool(),
                rx.text("Read", size="1", color_scheme="gray", high_contrast=True)),
        data_author=m["author"], data_internal=rx.cond(internal, "true", "false"),
        class_name="inbox-message",
        padding="8px 12px", border_radius="8px", max_width="85%",
        align_self=rx.cond(m["author"] == "staff", "flex-end", "flex-start"),
        background=rx.cond(internal, NOTE_BG, rx.cond(m["author"] == "staff", "var(--accent-a3)", "var(--gray-a3)")),
        border=rx.cond(internal, NOTE_BORDER, "1px solid transparent"),
    )


def _card_items(title: str, items, empty: str) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="2", weight="bold"),
        rx.cond(
            items.length() > 0,
            rx.el.ul(rx.foreach(items, lambda it: rx.el.li(
                rx.link(it["label"], href=it["href"], size="2", style={"overflowWrap": "anywhere"}),
                rx.text(it["detail"], size="1", color_scheme="gray", high_contrast=True),
                style={"listStyle": "none", "marginBottom": "6px"})),
                style={"margin": "0", "padding": "0"}),
            rx.text(empty, size="1", color_scheme="gray", high_contrast=True),
        ),
        spacing="1", width="100%", align="start",
    )


def _contact_card() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.heading("Contact", size="3", as_="h3"),
            rx.link(S.card["name"], href=S.card["href"], weight="bold", style={"overflowWrap": "anywhere"}),
            rx.text(S.card["email"], size="2", style={"overflowWrap": "anywhere"}),
            rx.cond(S.card["company"] != "", rx.text(S.card["company"], size="2", color_scheme="gray",
                                                      high_contrast=True, style={"overflowWrap": "anywhere"})),
            rx.link("Open contact record", href=S.card["href"], size="2"),
            _card_items("Open invoices", S.card["invoices"], "None open."),
            _card_items("Awaiting signature", S.card["documents"], "Nothing to sign."),
            spacing="2", align="start", width="100%",
        ),
        aria_label="Contact card", role="region",
        background="white", border="1px solid var(--gray-a5)", border_radius="8px", padding="12px", width="100%",
    )


def _assign() -> rx.Component:
    return rx.hstack(
        field_label("Assigned to", "inbox-assign"),
        rx.el.select(rx.el.option("Nobody", value="nobody"),
                     rx.foreach(S.colleagues, lambda c: rx.el.option(c["name"], value=c["id"])),
                     id="inbox-assign", value=rx.cond(S.assigned_id != "", S.assigned_id, "nobody"),
                     on_change=S.assign_to, style={**SELECT_STYLE, "width": "auto", "minWidth": "160px"}),
        align="center", spacing="2", wrap="wrap",
    )


def _head() -> rx.Component:
    return rx.vstack(
        rx.link("← All conversations", href="/staff/inbox", size="2", display=rx.breakpoints(initial="block", md="none")),
        rx.hstack(
            rx.heading(S.card["name"], size="5", as_="h2", style={"overflowWrap": "anywhere"}),
            rx.cond(S.head_status == "resolved", rx.badge("Resolved", color_scheme="green", high_contrast=True),
                    rx.badge("Open", color_scheme="blue", high_contrast=True)),
            spacing="3", align="center", wrap="wrap",
        ),
        rx.hstack(
            _assign(),
            rx.cond(S.head_status == "resolved",
                    rx.button(rx.icon("rotate-ccw", size=16, aria_hidden="true"), "Reopen", variant="soft",
                              high_contrast=True, on_click=S.reopen),
                    rx.button(rx.icon("check", size=16, aria_hidden="true"), "Resolve", variant="soft",
                              color_scheme="green", high_contrast=True, on_click=S.resolve)),
            spacing="3", align="center", wrap="wrap",
        ),
        spacing="2", width="100%", align="start",
    )


def _canned_picker() -> rx.Component:
    return rx.cond(
        S.canned.length() > 0,
        rx.hstack(
            field_label("Canned reply", "inbox-canned"),
            rx.el.select(rx.el.option("Insert…", value=""),
                         rx.foreach(S.canned, lambda c: rx.el.option(c["title"], value=c["id"])),
                         id="inbox-canned", name="canned", value="", on_change=S.use_canned,
                         style={**SELECT_STYLE, "width": "auto", "minWidth": "160px"}),
            align="center", spacing="2", wrap="wrap",
        ),
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(rx.cond(S.note_mode, "Note for your team", "Reply"), html_for="inbox-body",
                        style={"fontWeight": "500", "fontSize": "14px"}),
            TypingWatch.create(
                rx.text_area(id="inbox-body", name="body", default_value=S.composer_seed, key=S.form_version.to(str),
                             max_length=limits.CHAT_MESSAGE, rows="4", width="100%",
                             placeholder=rx.cond(S.note_mode, "A note for your team", "Write a reply"),
                             aria_describedby="inbox-body-hint",
                             style={"background": rx.cond(S.note_mode, NOTE_BG, "white")}),
                every=3000, on_typing=S.typing,
            ),
            rx.text(rx.cond(S.note_mode, "Only your team sees this.", "The client sees this reply."),
                    id="inbox-body-hint", size="1", color_scheme=rx.cond(S.note_mode, "amber", "gray"),
                    high_contrast=True),
            alert_box(S.send_error),
            rx.hstack(
                rx.hstack(rx.switch(id="inbox-note", name="internal", checked=S.note_mode, on_change=S.set_note_mode,
                                    color_scheme="amber"),
                          rx.el.label("Internal note", html_for="inbox-note", style={"fontSize": "14px"}),
                          spacing="2", align="center"),
                _canned_picker(),
                attach_button("inbox-file", S.send_file, S.upload_progress, S.attachment_refused),
                upload_bar(S.uploading, S.upload_percent),
                rx.spacer(),
                rx.button(rx.icon("send", size=16, aria_hidden="true"), rx.cond(S.note_mode, "Add note", "Send"),
                          type="submit", color_scheme=rx.cond(S.note_mode, "amber", "accent"), high_contrast=True),
                spacing="3", align="center", wrap="wrap", width="100%",
            ),
            spacing="2", width="100%", align="start",
        ),
        on_submit=S.send, width="100%", aria_label="Reply to the client",
        border=rx.cond(S.note_mode, NOTE_BORDER, "1px solid var(--gray-a5)"), border_radius="8px", padding="12px",
        background=rx.cond(S.note_mode, "var(--amber-2)", "white"),
    )


def _thread() -> rx.Component:
    return rx.vstack(
        _head(),
        rx.cond(S.has_older, rx.button("Load older", size="1", variant="soft", high_contrast=True,
                                       on_click=S.load_older)),
        rx.box(
            rx.cond(S.thread.length() > 0,
                    rx.vstack(rx.foreach(S.thread, _message), spacing="2", width="100%"),
                    rx.text("No messages yet. Write the first one below.", size="2", color_scheme="gray",
                            high_contrast=True)),
            role="log", aria_live="polite", aria_label="Messages",
            background="white", border="1px solid var(--gray-a5)", border_radius="8px", padding="12px", width="100%",
        ),
        rx.el.style(TYPING_CSS),
        rx.cond(S.typing_seq > 0,
                rx.text(S.card["name"], " is typing…", size="1", color_scheme="gray", high_contrast=True,
                        class_name="portal-chat-typing", key=S.typing_seq, role="status", aria_live="polite",
                        id="inbox-typing")),
        _composer(),
        spacing="3", width="100%", align="stretch",
    )


def _thread_column() -> rx.Component:
    return rx.box(
        alert_box(S.thread_error),
        rx.cond(
            S.selected != "",
            rx.cond(S.thread_error == "",
                    rx.grid(_thread(), _contact_card(), columns=rx.breakpoints(initial="1", lg="minmax(0,1fr) 240px"),
                            spacing="3", width="100%", align_items="start")),
            rx.cond(S.thread_error == "",
                    callout("Choose a conversation to read it here.", color_scheme="gray", role="status",
                            width="100%")),
        ),
        data_selected=rx.cond(S.selected != "", "true", "false"),
        style={PHONE_NAV: {"&[data-selected='false']": {"display": "none"}}},
        width="100%", min_width="0",
    )


def _canned_row(c: dict) -> rx.Component:
    return rx.hstack(
        clipped_text(c["title"], size="2", max_width="100%"),
        rx.spacer(),
        rx.button("Edit", size="1", variant="soft", high_contrast=True, on_click=S.edit_canned(c["id"]),
                  aria_label="Edit " + c["title"].to(str)),
        confirmed(rx.button("Delete", size="1", variant="soft", color_scheme="red", high_contrast=True,
                            aria_label="Delete " + c["title"].to(str)),
                  "Delete this canned reply?", "Nobody can insert it any more.", "Delete", S.delete_canned(c["id"])),
        spacing="2", align="center", width="100%",
    )


def _canned_dialog() -> rx.Component:
    return rx.cond(
        S.can_manage_canned,
        rx.dialog.root(
            rx.dialog.trigger(rx.button(rx.icon("message-square-text", size=16, aria_hidden="true"),
                                        "Canned replies", variant="soft", high_contrast=True, size="2")),
            rx.dialog.content(
                rx.dialog.title("Canned replies"),
                rx.dialog.description("Texts anyone on the team can insert into a reply.", size="2"),
                rx.vstack(
                    rx.cond(S.canned.length() > 0, rx.vstack(rx.foreach(S.canned, _canned_row), spacing="2",
                                                             width="100%"),
                            rx.text("None yet.", size="2", color_scheme="gray", high_contrast=True)),
                    rx.form(
                        rx.vstack(
                            rx.heading(rx.cond(S.canned_editing != "", "Edit canned reply", "New canned reply"),
                                       size="3", as_="h3"),
                            field("Title", "canned_title", default_value=S.canned_title, required=True,
                                  max_length=limits.CANNED_REPLY_TITLE),
                            rx.el.label("Reply", html_for="f-canned_body", style={"fontWeight": "500", "fontSize": "14px"}),
                            rx.text_area(id="f-canned_body", name="canned_body", default_value=S.canned_body,
                                         max_length=limits.CHAT_MESSAGE, rows="4", width="100%", required=True),
                            alert_box(S.canned_error),
                            rx.hstack(rx.button("Save", type="submit"),
                                      rx.cond(S.canned_editing != "",
                                              rx.button("New instead", type="button", variant="soft",
                                                        high_contrast=True, on_click=S.edit_canned(""))),
                                      spacing="2"),
                            spacing="2", width="100%", align="start",
                        ),
                        on_submit=S.save_canned, key=S.canned_version.to(str), width="100%",
                        aria_label="Canned reply",
                    ),
                    rx.flex(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray",
                                                      high_contrast=True)), justify="end", width="100%"),
                    spacing="4", width="100%", margin_top="12px",
                ),
                # a dialog renders outside the page shell: give it the brand accent (contrast)
                style=brand_vars(),
                max_width="520px",
            ),
            open=S.canned_open, on_open_change=S.set_canned_open,
        ),
    )


def inbox_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.hstack(rx.spacer(), _canned_dialog(), width="100%"),
                rx.grid(
                    _list_column(), _thread_column(),
                    columns=rx.breakpoints(initial="1", md="minmax(260px, 320px) minmax(0, 1fr)"),
                    spacing="4", width="100%", align_items="start",
                ),
                spacing="3", width="100%",
            ),
        ),
        title="Inbox",
    )
