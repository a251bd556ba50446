"""Signing fields over a document's pages (field_editor.jsx, a local React component).

Staff place fields: the page images stacked vertically, each field a box over its page
that can be dragged, resized from its bottom-right corner, or moved with the keyboard
(arrows; Shift: 5%; Alt+arrows resize; Delete asks to remove). A box stays on its page:
moving a field to another page means changing its "page" in Python.

    FieldEditor.create(pages=S.pages, fields=S.fields, signers=S.signers, selected=S.selected,
                       on_change=S.set_fields, on_select=S.select_field,
                       on_page_click=S.add_field_at, on_delete=S.delete_field)

Shapes (all positions are fractions 0..1 of the page, top-left origin):
- pages:   [{"url": str, "width": float, "height": float}]  (size in points: aspect ratio)
- fields:  [{"id", "page" (0-based), "x", "y", "w", "h", "kind", "signer", "label", "required"}]
           kind is "signature" | "initials" | "date" | "text" | "checkbox"
- signers: [{"id", "name", "color" (CSS colour)}]

Events: on_change(fields) once a move/resize ends (pointer up, or each key press) with the
whole list, numbers rounded to 4 decimals; on_select(field_id); on_page_click({"page", "x",
"y"}) for a click on an empty spot of a page; on_delete(field_id).

read_only=True shows the same pages and boxes inert (no handles, no events, pointer-events
none so inputs placed on top receive the clicks), and `values` ({field_id: str}) fills
them: text and dates as text, a checkbox "true" as ✓, a signature/initials data URL
(data:image/…) as an image, any other signature text in a handwriting font.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import passthrough_event_spec


class FieldEditor(rx.Component):
    """Pages with movable signing-field boxes (see field_editor.jsx)."""

    library = rx.asset("field_editor.jsx", shared=True).importable_path
    tag = "FieldEditor"

    pages: rx.Var[list[dict[str, Any]]]
    fields: rx.Var[list[dict[str, Any]]]
    signers: rx.Var[list[dict[str, Any]]]
    # the selected field's id, "" for none
    selected: rx.Var[str]
    read_only: rx.Var[bool]
    # read-only mode: what each field holds, by field id
    values: rx.Var[dict[str, str]]

    on_change: rx.EventHandler[passthrough_event_spec(list[dict[str, Any]])]
    on_select: rx.EventHandler[passthrough_event_spec(str)]
    on_page_click: rx.EventHandler[passthrough_event_spec(dict[str, Any])]
    on_delete: rx.EventHandler[passthrough_event_spec(str)]
