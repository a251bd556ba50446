"""How counts read: "1 contact", "2 contacts", "0 contacts" (the pages use the same rule
through components/counts.count_label); a chat message's text split into text and link parts."""

from __future__ import annotations

import re
from typing import TypedDict


def plural(count: int, one: str, many: str | None = None) -> str:
    """`count` and the noun that agrees with it (`many` defaults to `one` + "s")."""
    return f"{count} {noun(count, one, many)}"


def noun(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else (many or one + "s")


# --- message text: plain text and http(s) links ------------------------------------------------
# A chat message's body is plain text; the pages show its web addresses as links. Only http(s)
# addresses: a link can never be javascript: or data:. Trailing punctuation ("see
# https://x.example/a.") is not part of the address. The pages render the parts as text and <a>
# (components/message_text.py), never as HTML.

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class Part(TypedDict):
    text: str
    href: str  # "" for plain text


def message_parts(body: str) -> list[Part]:
    """The body as plain text and link parts, in order."""
    parts: list[Part] = []
    pos = 0
    for match in _URL.finditer(body or ""):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        if len(url) <= len("https://"):
            continue
        if start > pos:
            parts.append(Part(text=body[pos:start], href=""))
        parts.append(Part(text=url, href=url))
        pos = end
    if pos < len(body or ""):
        parts.append(Part(text=body[pos:], href=""))
    return parts
