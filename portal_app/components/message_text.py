"""What the chat widget and the staff inbox draw alike: a message's text with its web addresses
as links (services/wording.message_parts splits it; rendered as text and <a>, never as HTML), a
message's attachment (an image as a thumbnail, a PDF as a link, both opened through the
authorized route), the paperclip that sends an image or PDF (Reflex's upload, a progress bar
while it goes), and the typing hint's watcher (chat_widget.jsx)."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import passthrough_event_spec

from portal_app.components.fields import VISUALLY_HIDDEN
from portal_app.services.conversations import messages

_JSX = rx.asset("chat_widget.jsx", shared=True).importable_path

# what the paperclip's chooser offers (the server judges the bytes anyway)
ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/gif": [".gif"], "image/webp": [".webp"],
          "application/pdf": [".pdf"]}


# "… is typing" goes 4 s after the last hint (a new hint remounts it: the animation restarts).
# Only visibility changes (no fading: a half-transparent text fails the contrast check).
TYPING_CSS = """
@keyframes portal-chat-typing { from { visibility: visible } to { visibility: hidden } }
.portal-chat-typing { animation: portal-chat-typing 4s forwards }
"""


class TypingWatch(rx.Component):
    """Calls on_typing when the user types inside it, at most once per `every` ms (draws no box)."""

    library = _JSX
    tag = "TypingWatch"

    every: rx.Var[int]

    on_typing: rx.EventHandler[passthrough_event_spec()]


def _part(part) -> rx.Component:
    return rx.cond(
        part["href"] != "",
        rx.link(part["text"], href=part["href"], is_external=True, rel="noopener noreferrer nofollow",
                underline="always", color="inherit", style={"wordBreak": "break-all"}),
        rx.el.span(part["text"]),
    )


def message_text(parts, **props) -> rx.Component:
    """A message's text: plain text and http(s) links, line breaks kept."""
    return rx.text(rx.foreach(parts, _part), as_="p", size="2",
                   style={"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}, **props)


def attachment_view(name, url, image) -> rx.Component:
    """An image's thumbnail or a PDF's link (nothing when `url` is ""); both open the file."""
    return rx.cond(
        url != "",
        rx.cond(
            image,
            rx.link(rx.image(src=url, alt=name, max_width="220px", max_height="180px",
                             border_radius="6px", object_fit="cover", loading="lazy"),
                    href=url, is_external=True, class_name="chat-attachment", aria_label="Open " + name.to(str)),
            rx.link(rx.hstack(rx.icon("file-text", size=16, aria_hidden="true"), rx.text(name),
                              spacing="1", align="center"),
                    href=url, is_external=True, color="inherit", underline="always", class_name="chat-attachment"),
        ),
    )


def refused_by_chooser(handler):
    """react-dropzone's refusals (a File and its error codes each) as plain lists for `handler`."""
    def refused(rejected):
        files = rejected.to(list[dict])
        return handler(
            files.map(lambda r: r["file"].to(dict)["name"]),
            files.map(lambda r: r["file"].to(dict)["size"]),
            files.map(lambda r: r["errors"].to(list[dict]).map(lambda e: e["code"]).join(",")),
        )
    return refused


def attach_button(upload_id: str, send, progress, refused) -> rx.Component:
    """The paperclip: choosing (or dropping) an image or PDF sends it at once as a message of its
    own; the text in the composer stays. The label names the dropzone's file input and opens the
    file chooser on click (no_click stops the dropzone opening a second one)."""
    return rx.el.label(
        rx.upload(
            rx.icon("paperclip", size=18, aria_hidden="true"),
            rx.el.span("Attach an image or PDF (up to 10 MB)", style=VISUALLY_HIDDEN),
            id=upload_id,
            accept=ACCEPT,
            max_files=1,
            multiple=False,
            no_click=True,
            max_size=messages.ATTACHMENT_MAX_BYTES,
            on_drop_rejected=refused_by_chooser(refused),
            on_drop=send(rx.upload_files(upload_id=upload_id, on_upload_progress=progress)),
            display="flex", align_items="center", justify_content="center", width="36px", height="36px",
            padding="0", box_sizing="border-box", border="1px solid var(--gray-a7)", border_radius="6px",
            background="white", color="var(--gray-12)",
        ),
        title="Attach an image or PDF",
        style={"display": "block", "cursor": "pointer", "flexShrink": "0"},
    )


def upload_bar(uploading, percent) -> rx.Component:
    """The attachment's progress while it uploads."""
    return rx.cond(uploading, rx.progress(value=percent, max=100, width="100%", max_width="240px",
                                          aria_label="Uploading the attachment"))
