"""The line-items editor's state, shared by the invoice editor and a new estimate: the
lines as typed, each with a key of its own, and the three handlers that change them.

A state mixes it in (`class InvoiceEditorState(LineItemsMixin, BaseState)`); Reflex copies
the handlers onto that state, so each page has its own `set_line`, `add_line` and
`remove_line`. The state says what follows a change by overriding `_lines_changed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict, cast

import reflex as rx

LineField = Literal["description", "quantity", "unit_price", "tax_rate"]
LINE_FIELDS: tuple[LineField, ...] = ("description", "quantity", "unit_price", "tax_rate")
MAX_LINES = 100


class EditorLine(TypedDict):
    """A line as typed (text), with its key, its amount and its message ("" = none)."""
    key: str
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    amount: str
    error: str


def blank_line(key: str) -> EditorLine:
    return {"key": key, "description": "", "quantity": "1", "unit_price": "", "tax_rate": "0", "amount": "",
            "error": ""}


def is_blank(line: Mapping[str, object]) -> bool:
    return not str(line.get("description", "")).strip() and not str(line.get("unit_price", "")).strip()


def _clip(value: object, field: str) -> str:
    return str(value if value is not None else "")[:2000 if field == "description" else 40]


class LineItemsMixin(rx.State, mixin=True):
    lines: list[EditorLine] = []
    _next_key: int = 0

    def _new_key(self) -> str:
        """l1, l2, …: a counter that never goes back, so a removed line's key is never given
        again (not even on a reload: the inputs keep their typed text per key)."""
        self._next_key += 1
        return f"l{self._next_key}"

    def _set_lines(self, rows: Sequence[Mapping[str, object]]) -> None:
        """The lines to edit (at least one), each with a new key."""
        self.lines = [cast(EditorLine, {**blank_line(self._new_key()),
                                        **{k: str(ln[k]) for k in LINE_FIELDS if k in ln}})
                      for ln in rows] or [blank_line(self._new_key())]

    def _max_lines(self) -> int:
        return MAX_LINES

    def _lines_changed(self, field: str) -> None:
        """After a line was edited (`field`) or removed (""): a state that previews totals
        recomputes them here."""

    @rx.event
    def set_line(self, key: str, field: str, value: str):
        if field not in LINE_FIELDS:
            return
        self.lines = [cast(EditorLine, {**ln, field: _clip(value, field)}) if ln["key"] == str(key) else ln
                      for ln in self.lines]
        self._lines_changed(field)

    @rx.event
    def add_line(self):
        if len(self.lines) < self._max_lines():
            self.lines = [*self.lines, blank_line(self._new_key())]

    @rx.event
    def remove_line(self, key: str):
        if len(self.lines) > 1:
            self.lines = [ln for ln in self.lines if ln["key"] != str(key)]
            self._lines_changed("")
