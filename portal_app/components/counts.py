"""Counts on the pages: "1 contact", "2 contacts" (services.wording.plural for plain numbers,
the same rule in the browser for a state var)."""

from __future__ import annotations

import reflex as rx

from portal_app.services.wording import plural


def count_label(count: rx.Var | int, one: str, many: str | None = None) -> rx.Var | str:
    """`count` and its noun; for a var, a string var the browser keeps in agreement."""
    many = many or one + "s"
    if not isinstance(count, rx.Var):
        return plural(count, one, many)
    return count.to_string() + rx.cond(count == 1, " " + one, " " + many)

