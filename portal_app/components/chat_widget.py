"""The client's chat widget, part of the client shell (components/layout.client_shell): a
launcher at the bottom-right corner of every portal page, with the unread count, and a panel with
the conversation with the business (state/portal/chat.py).

The panel is a labelled, non-modal dialog (the page stays usable beside it on a wide screen; on
a phone it fills the screen); new messages are announced politely (role="log"); Escape closes it
and gives the focus back to the launcher. Message bodies are plain text: the state splits each
into text and link parts (http/https only) and they are rendered as text and <a>, never as HTML.
Keyboard handling lives in chat_widget.jsx (Enter sends, Shift+Enter starts a new line).
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import passthrough_event_spec

from portal_app import limits
from portal_app.components.fields import VISUALLY_HIDDEN
from portal_app.components.message_text import (
    TYPING_CSS,
    TypingWatch,
    attach_button,
    attachment_view,
    message_text,
    upload_bar,
)
from portal_app.state.base import BaseState
from portal_app.state.portal.chat import ChatState

_JSX = rx.asset("chat_widget.jsx", shared=True).importable_path
LAUNCHER, PANEL, TITLE, COMPOSER, ERROR = "chat-launcher", "chat-panel", "chat-title", "chat-composer", "chat-error"
# at most this wide the panel fills the screen (a phone, 390 px, and a little more)
PHONE = "@media screen and (max-width: 40em)"

_CSS = TYPING_CSS + """
.portal-chat-composer { width: 100%; min-height: 44px; max-height: 160px; resize: vertical; padding: 8px 10px;
  border: 1px solid var(--gray-a7); border-radius: 6px; font: inherit; font-size: 15px; line-height: 1.4;
  background: white; color: var(--gray-12) }
.portal-chat-composer:focus { outline: 2px solid var(--brand); outline-offset: 1px }
"""


class ChatComposer(rx.Component):
    """The composer's <textarea> (chat_widget.jsx): Enter submits its form, Shift+Enter is a new line."""

    library = _JSX
    tag = "ChatComposer"

    name: rx.Var[str]
    rows: rx.Var[int]
    max_length: rx.Var[int]
    default_value: rx.Var[str]
    placeholder: rx.Var[str]

    on_draft: rx.EventHandler[passthrough_event_spec(str)]


class ChatEscape(rx.Component):
    """Calls on_escape when Escape is pressed inside it (draws no box of its own)."""

    library = _JSX
    tag = "ChatEscape"

    on_escape: rx.EventHandler[passthrough_event_spec()]


def _message(m) -> rx.Component:
    bubble = rx.box(
        rx.cond(~m["mine"], rx.text(m["author_name"], size="1", weight="bold")),
        rx.cond(m["parts"].length() > 0, message_text(m["parts"])),
        attachment_view(m["att_name"], m["att_url"], m["att_image"]),
        rx.hstack(
            rx.el.time(m["time"], date_time=m["at"]),
            rx.cond(m["mine"], rx.el.span("· ", m["status"])),
            spacing="1", font_size="12px",
            justify=rx.cond(m["mine"], "end", "start"),
        ),
        padding="8px 10px", border_radius="10px", max_width="85%",
        background=rx.cond(m["mine"], BaseState.accent, "white"),
        color=rx.cond(m["mine"], BaseState.accent_text, "var(--gray-12)"),
        border=rx.cond(m["mine"], "none", "1px solid var(--gray-a5)"),
    )
    return rx.el.li(
        rx.flex(bubble, justify=rx.cond(m["mine"], "end", "start"), width="100%"),
        key=m["id"], style={"listStyle": "none"},
    )


def _header() -> rx.Component:
    return rx.hstack(
        rx.cond(BaseState.logo_url != "",
                rx.image(src=BaseState.logo_url, alt="", max_height="32px", max_width="64px", object_fit="contain")),
        rx.vstack(
            rx.heading(BaseState.business_name, as_="h2", size="3", id=TITLE),
            rx.cond(ChatState.reply_line != "", rx.text(ChatState.reply_line, size="1", color_scheme="gray",
                                                        high_contrast=True)),
            spacing="0", flex="1", min_width="0",
        ),
        rx.icon_button(rx.icon("x", size=18, aria_hidden="true"), on_click=ChatState.close_panel,
                       aria_label="Close chat", variant="ghost", color_scheme="gray", size="2", type="button"),
        align="center", spacing="3", padding="12px 14px", border_bottom="1px solid var(--gray-a5)",
        background="white",
    )


def _messages() -> rx.Component:
    # column-reverse: the list starts scrolled to its newest (bottom) message
    return rx.box(
        rx.box(
            rx.cond(ChatState.has_older,
                    rx.center(rx.button("Show older messages", on_click=ChatState.load_older, variant="soft",
                                        color_scheme="gray", size="1", type="button"), padding_bottom="8px")),
            rx.el.div(
                rx.cond(
                    ChatState.messages.length() > 0,
                    rx.el.ol(rx.foreach(ChatState.messages, _message), id="chat-messages",
                             style={"display": "flex", "flexDirection": "column", "gap": "8px", "margin": "0",
                                    "padding": "0"}),
                    rx.text("Send us a message: we will answer here.", size="2", color_scheme="gray",
                            high_contrast=True),
                ),
                role="log", aria_live="polite", aria_label="Messages",
            ),
            rx.cond(ChatState.typing_seq > 0,
                    rx.text(BaseState.business_name, " is typing…", size="1", color_scheme="gray", high_contrast=True,
                            class_name="portal-chat-typing", key=ChatState.typing_seq, role="status",
                            aria_live="polite", id="chat-typing")),
        ),
        flex="1", min_height="0", overflow_y="auto", padding="12px", background="var(--gray-2)",
        display="flex", flex_direction="column-reverse",
    )


def _composer() -> rx.Component:
    return rx.form(
        rx.el.label("Message", html_for=COMPOSER, style=VISUALLY_HIDDEN),
        rx.hstack(
            TypingWatch.create(
                ChatComposer.create(
                    id=COMPOSER, name="body", rows=2, max_length=limits.CHAT_MESSAGE, default_value=ChatState.draft,
                    placeholder="Write a message…", key=ChatState.composer_key, on_draft=ChatState.set_draft,
                    class_name="portal-chat-composer",
                    custom_attrs={"aria-describedby": "chat-help " + ERROR,
                                  "aria-invalid": rx.cond(ChatState.error != "", "true", "false")},
                ),
                every=3000, on_typing=ChatState.typing,
            ),
            attach_button("chat-file", ChatState.send_file, ChatState.upload_progress, ChatState.attachment_refused),
            rx.button(rx.icon("send", size=16, aria_hidden="true"), "Send", type="submit", size="2"),
            align="end", spacing="2", width="100%",
        ),
        upload_bar(ChatState.uploading, ChatState.upload_percent),
        rx.text("Enter sends, Shift+Enter starts a new line.", id="chat-help", size="1", color_scheme="gray",
                high_contrast=True),
        rx.text(ChatState.error, id=ERROR, role="alert", size="2", color_scheme="red",
                display=rx.cond(ChatState.error != "", "block", "none")),
        on_submit=ChatState.send,
        padding="10px 12px", border_top="1px solid var(--gray-a5)", background="white",
    )


def _panel() -> rx.Component:
    return ChatEscape.create(
        rx.box(
            _header(),
            _messages(),
            _composer(),
            id=PANEL, role="dialog", aria_labelledby=TITLE, aria_modal="false",
            position="fixed", right="20px", bottom="84px", width="380px",
            height="min(560px, calc(100vh - 110px))", z_index="50", display="flex", flex_direction="column",
            background="white", border_radius="12px", overflow="hidden",
            box_shadow="0 12px 40px rgba(0, 0, 0, 0.18), 0 0 0 1px var(--gray-a5)",
            style={PHONE: {"inset": "0", "width": "100%", "height": "100dvh", "borderRadius": "0",
                           "right": "0", "bottom": "0"}},
        ),
        on_escape=ChatState.close_panel,
    )


def _launcher() -> rx.Component:
    # The name starts with what the button shows, "Chat" (WCAG 2.5.3), then the unread count; the
    # badge drawn on its corner is a sibling (hidden from assistive technology), not its text.
    label = rx.cond(ChatState.unread > 0, "Chat, " + ChatState.unread.to_string() + " unread", "Chat")
    return rx.box(
        rx.button(
            rx.icon("message-circle", size=22, aria_hidden="true"),
            rx.el.span("Chat", style={PHONE: {"display": "none"}}),
            id=LAUNCHER, aria_label=label, aria_expanded=rx.cond(ChatState.open, "true", "false"),
            aria_controls=PANEL, aria_haspopup="dialog", type="button",
            on_click=ChatState.toggle_panel,
            size="3", radius="full", box_shadow="0 6px 20px rgba(0, 0, 0, 0.2)",
        ),
        rx.cond(ChatState.unread > 0,
                rx.badge(ChatState.unread, color_scheme="red", variant="solid", radius="full", aria_hidden="true",
                         position="absolute", top="-6px", right="-6px", pointer_events="none")),
        position="fixed", right="20px", bottom="20px", z_index="49",
    )


def chat_widget() -> rx.Component:
    """Drawn only for a client of a portal with chat switched on (no event otherwise); its load
    runs when a page shows it (a first read, or a catch-up after a page change)."""
    return rx.cond(
        BaseState.chat_on & (BaseState.viewer_kind == "client"),
        rx.box(
            rx.el.style(_CSS),
            rx.cond(ChatState.enabled,
                    rx.fragment(_launcher(), rx.cond(ChatState.open, _panel()))),
            on_mount=ChatState.load,
        ),
    )
