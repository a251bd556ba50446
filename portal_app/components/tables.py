"""Text in table cells that cannot push the other columns out: a value longer than its
column is cut with an ellipsis, the whole of it in the `title` (shown on hover, read by
screen readers) and on the record page. Limits keep new values short (portal_app/limits.py);
this keeps a table usable with what an older version may have saved."""

from __future__ import annotations

import reflex as rx

CLIP = {"overflow": "hidden", "textOverflow": "ellipsis", "whiteSpace": "nowrap"}
# phone, tablet, desktop: a column's text never grows past this
NAME_WIDTH = ["11rem", "14rem", "18rem"]
SECONDARY_WIDTH = ["11rem", "12rem", "14rem", "16rem"]


def clipped(text, *, max_width=SECONDARY_WIDTH, **props) -> rx.Component:
    return rx.box(text, title=text, max_width=max_width, style=CLIP, **props)


def clipped_text(text, *, max_width=NAME_WIDTH, **props) -> rx.Component:
    """A Radix text (size, color, weight as usual) cut to its column."""
    return rx.text(text, title=text, max_width=max_width, style=CLIP, **props)


def clipped_link(text, *children, href, max_width=NAME_WIDTH, **props) -> rx.Component:
    return rx.link(text, *children, href=href, title=text, display="block", max_width=max_width, style=CLIP,
                   **props)
