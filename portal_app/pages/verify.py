"""/verify: anyone checks a PDF: sealed by this portal? intact since? who signed, when?"""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import alert_box, callout
from portal_app.components.layout import centered_card
from portal_app.state.verify import VerifyState as V

TONES = (("sealed_here", "green"), ("not_issued_here", "amber"), ("modified", "red"), ("tampered", "red"),
         ("signed_elsewhere", "amber"), ("not_signed", "gray"), ("unreadable", "gray"))


def _result() -> rx.Component:
    r = V.result
    return rx.cond(
        r.contains("verdict"),
        callout(rx.vstack(
            rx.heading(r["headline"], as_="h2", size="4"),
            rx.text(r["detail"], size="2"),
            rx.cond(r["title"] != "", rx.text(rx.text.strong("Document: "), r["title"], " (",
                                                       r["document_id"], ")", size="2")),
            rx.cond(r["business"] != "", rx.text(rx.text.strong("Sent by: "), r["business"],
                                                          size="2")),
            rx.cond(r["sealed_at"] != "", rx.text(rx.text.strong("Sealed: "), r["sealed_at"],
                                                           size="2")),
            rx.foreach(r["signers"], lambda s: rx.text(
                rx.text.strong("Signed by "), s["name"], " <", s["email"], ">", rx.cond(s["signed"] != "",
                                                                                     ", " + s["signed"], ""),
                size="2")),
            spacing="1", align="start"),
            color_scheme=rx.match(r["verdict"], *TONES, "gray"), role="status", width="100%"),
    )


def verify_page() -> rx.Component:
    return centered_card(
        rx.vstack(
            rx.heading("Verify a signed PDF", as_="h1", size="6"),
            rx.text("Upload a PDF to learn whether this portal sealed it, whether it is unchanged since, and who "
                    "signed it. The file is checked and forgotten: nothing is stored.", size="2",
                    color_scheme="gray", high_contrast=True),
            rx.el.label(
                rx.upload(
                    rx.vstack(rx.icon("shield-check", size=24, aria_hidden="true"),
                              rx.text("Drop a PDF here, or click to choose one", size="2"),
                              align="center", spacing="1"),
                    id="verify-file", accept={"application/pdf": [".pdf"]}, max_files=1, multiple=False,
                    no_click=True, on_drop=V.check(rx.upload_files(upload_id="verify-file")),
                    border="1px dashed var(--gray-a8)", border_radius="8px", padding="20px", width="100%"),
                style={"display": "block", "width": "100%", "cursor": "pointer"}),
            rx.cond(V.file_name != "", rx.text("Checked: ", V.file_name, size="1", color_scheme="gray",
                                               high_contrast=True)),
            alert_box(V.error),
            _result(),
            spacing="4", width="100%"),
    )
