"""The signing page's body, for a client and for a staff countersigner: the pages with
every field shown where it sits, then the signer's own fields as a labelled form, the
electronic-signature consent, draw-or-type signature, Sign and Decline."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.field_editor import FieldEditor
from portal_app.components.fields import DOWNLOAD_LINK, alert_box, callout, field
from portal_app.components.layout import brand_vars
from portal_app.components.signature_pad import SignaturePad
from portal_app.state.signing import SigningState as S

HANDWRITING = "'Kristi', 'Segoe Script', cursive"


def _hint(f) -> rx.Component:
    return rx.cond(f["hint"] != "", rx.text(f["hint"], id="fv-" + f["id"] + "-hint", size="1", color_scheme="gray",
                                            high_contrast=True))


def _described_by(f):
    return rx.cond(f["hint"] != "", "fv-" + f["id"] + "-hint", "")


def _my_field(f) -> rx.Component:
    """One of this signer's text or checkbox fields, named as staff named it, with its hint."""
    fid = f["id"]
    return rx.match(
        f["kind"],
        ("text", rx.vstack(
            rx.el.label(f["shown_label"], rx.cond(f["required"], rx.el.span(" *", aria_hidden="true",
                                                                            style={"color": "var(--red-11)"})),
                        html_for="fv-" + fid, style={"fontWeight": "500", "fontSize": "14px"}),
            rx.input(id="fv-" + fid, value=S.values[fid], on_change=lambda v: S.set_value(fid, v),
                     required=f["required"], max_length=limits.FIELD_VALUE, width="100%", size="3",
                     aria_describedby=_described_by(f)),
            _hint(f),
            spacing="1", width="100%")),
        ("checkbox", rx.vstack(
            rx.hstack(
                rx.checkbox(id="fv-" + fid, checked=S.values[fid] == "true", on_change=lambda v: S.set_checked(fid, v),
                            aria_describedby=_described_by(f)),
                rx.el.label(f["shown_label"], html_for="fv-" + fid, style={"fontSize": "14px"}),
                align="center", spacing="2"),
            _hint(f), spacing="1")),
        rx.fragment(),
    )


def _signature() -> rx.Component:
    return rx.vstack(
        rx.heading("Your signature", as_="h2", size="4"),
        rx.segmented_control.root(
            rx.segmented_control.item("Draw", value="draw"), rx.segmented_control.item("Type", value="type"),
            value=S.mode, on_change=S.set_mode, aria_label="How to sign"),
        rx.cond(
            S.mode == "draw",
            rx.box(SignaturePad.create(on_change=S.set_drawn, aria_label="Signature drawing area",
                                       hint="Draw your signature with a mouse, finger or pen."), width="100%"),
            rx.vstack(
                field("Type your full name", "typed-name", value=S.typed, on_change=S.set_typed,
                      max_length=limits.TYPED_SIGNATURE,
                      autocomplete="name"),
                # drawn in Kristi, the font the sealed PDF stamps a typed signature with
                # (assets/fonts.css loads assets/fonts/Kristi.ttf, the same file as the PDF's)
                rx.box(rx.text(S.typed, id="typed-preview", style={"fontFamily": HANDWRITING,
                                                                   "fontSize": "40px", "lineHeight": "1.2"}),
                       aria_hidden="true", padding="8px 12px", border_bottom="1px solid var(--gray-a8)",
                       width="100%", min_height="64px"),
                spacing="2", width="100%"),
        ),
        spacing="3", width="100%",
    )


def _form() -> rx.Component:
    return rx.card(rx.vstack(
        rx.cond(S.values.length() > 0, rx.vstack(
            rx.heading("Your details", as_="h2", size="4"),
            rx.foreach(S.fields, lambda f: rx.cond(f["signer"] == S.doc["my_signer"], _my_field(f))),
            spacing="2", width="100%")),
        _signature(),
        rx.hstack(
            rx.checkbox(id="consent", checked=S.consent, on_change=S.set_consent),
            rx.el.label(S.doc["consent_text"], html_for="consent", style={"fontSize": "14px"}),
            align="start", spacing="2"),
        alert_box(S.error),
        rx.flex(
            rx.button("Decline…", variant="soft", color_scheme="red", high_contrast=True,
                      on_click=S.set_decline_open(True)),
            rx.button(rx.icon("pen-line", size=16, aria_hidden="true"), "Sign", size="3", on_click=S.sign),
            justify="between", spacing="3", width="100%", wrap="wrap"),
        spacing="4", width="100%"), width="100%", id="sign-form")


def _decline() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("Decline to sign"),
        rx.dialog.description("Tell the sender why, so they can follow up. The document can no longer be signed "
                              "by anyone.", size="2"),
        rx.form(rx.vstack(
            rx.el.label("Reason", html_for="decline-reason", style={"fontWeight": "500", "fontSize": "14px"}),
            rx.text_area(id="decline-reason", name="reason", max_length=limits.DECLINE_REASON, rows="3", required=True,
                         width="100%"),
            alert_box(S.decline_error),
            rx.flex(rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                              high_contrast=True)),
                    rx.button("Decline", type="submit", color_scheme="red", high_contrast=True),
                    justify="end", spacing="3", width="100%"),
            spacing="3", margin_top="12px"), on_submit=S.decline, reset_on_submit=False),
        style=brand_vars(), max_width="460px"), open=S.decline_open, on_open_change=S.set_decline_open)


def signing_body(back_href: str, back_label: str) -> rx.Component:
    d = S.doc
    return rx.vstack(
        rx.link(back_label, href=back_href, size="2"),
        rx.heading(d["title"], as_="h1", size="7", style={"wordBreak": "break-word"}),
        rx.text(d["kind"], rx.cond(d["estimate_total"] != "", " · total " +
                                           d["estimate_total"], ""),
                size="2", color_scheme="gray", high_contrast=True),
        rx.cond(d["message"] != "", rx.text(d["message"], white_space="pre-line", size="3")),
        rx.cond(d["download"] != "", callout(rx.hstack(
            rx.text("Everyone has signed. The sealed PDF proves itself: anyone can check it at /verify."),
            rx.button(rx.el.a(rx.icon("download", size=16, aria_hidden="true"), "Download signed PDF",
                              href=d["download"], **DOWNLOAD_LINK), as_child=True, size="2",
                      color_scheme="green", high_contrast=True),
            spacing="3", align="center", wrap="wrap"), icon="circle-check", color_scheme="green", role="status",
            width="100%")),
        rx.cond(d["invoice_href"] != "", callout(rx.fragment(  # inside the callout's own <p>
            "This estimate became invoice ", rx.link(d["invoice_number"], href=d["invoice_href"], weight="medium"),
            "."), icon="receipt", color_scheme="blue", role="status", width="100%")),
        rx.cond(~d["can_sign"] & (d["reason"] != "") & (d["download"] == ""),
                callout(d["reason"], icon="info", color_scheme="gray", role="status", width="100%")),
        rx.box(FieldEditor.create(pages=S.pages, fields=S.fields, signers=S.signers, selected="", read_only=True,
                                  values=S.preview),
               width="100%", max_width="900px", margin="0 auto"),
        rx.cond(d["can_sign"], _form()),
        _decline(),
        spacing="4", width="100%", align="stretch",
    )
