"""How counts read: "1 contact", "2 contacts", "0 contacts". The pages use the same rule
through components/counts.count_label."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """`count` and the noun that agrees with it (`many` defaults to `one` + "s")."""
    return f"{count} {noun(count, one, many)}"


def noun(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else (many or one + "s")
