"""Staff › countersign a document, from the same signing page the client uses."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import alert_box
from portal_app.components.layout import staff_shell
from portal_app.components.signing_ui import signing_body
from portal_app.state.signing import SigningState as S


def staff_sign_page() -> rx.Component:
    return staff_shell(
        rx.cond(S.refusal != "", alert_box(S.refusal),
                rx.cond(S.loaded, signing_body("/staff/documents/" + S.doc["id"], "← Back to the document"),
                        rx.center(rx.spinner(size="3")))),
    )
