"""The signature pad: a canvas the signer draws on with a mouse, a finger or a pen
(signature_pad.jsx, a local React component). It hands the app a PNG data URL of the ink.

    SignaturePad.create(on_change=SignState.set_drawn_signature)

`on_change(data_url)` fires after each stroke, Undo and Clear: a `data:image/png;base64,…`
URL of the drawing cropped to its ink plus a margin, transparent background, at most
1200×400 px; "" when the pad holds no signature (empty, or only a stray tap). The pad has
its own Undo and Clear buttons; typing a signature instead is the page's job.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import passthrough_event_spec


class SignaturePad(rx.Component):
    """Draw-to-sign canvas (see signature_pad.jsx). Fills its container's width, 3:1."""

    library = rx.asset("signature_pad.jsx", shared=True).importable_path
    tag = "SignaturePad"

    # what a screen reader calls the canvas (it has role="img")
    aria_label: rx.Var[str]
    # the visible instruction under the canvas ("" hides it)
    hint: rx.Var[str]
    # ink colour, any CSS colour; default "#111827"
    pen_color: rx.Var[str]
    # no drawing, Undo and Clear disabled
    disabled: rx.Var[bool]

    on_change: rx.EventHandler[passthrough_event_spec(str)]
