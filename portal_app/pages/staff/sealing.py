"""Settings › Document sealing."""

from __future__ import annotations

import reflex as rx

from portal_app import limits
from portal_app.components.fields import alert_box, field
from portal_app.components.layout import staff_shell
from portal_app.state.staff.sealing import SealingState as S


def _fact(label: str, value) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray", high_contrast=True),
                     rx.text(value, size="2", style={"overflowWrap": "anywhere"}), spacing="0", width="100%")


def sealing_page() -> rx.Component:
    return staff_shell(
        rx.cond(
            S.refusal != "", alert_box(S.refusal),
            rx.vstack(
                rx.card(rx.vstack(
                    rx.heading("Sealing certificate", as_="h2", size="4"),
                    rx.text("When everyone has signed, the completed PDF is sealed with this certificate, so it "
                            "proves who signed and that nothing changed since. Anyone can check a sealed PDF at "
                            "/verify.", size="2", color_scheme="gray", high_contrast=True),
                    _fact("Issued to", S.cert["subject"]),
                    _fact("SHA-256 fingerprint", rx.code(S.cert["fingerprint"])),
                    _fact("Valid until", S.cert["valid_until"]),
                    _fact("Source", S.cert["source"]),
                    spacing="3", width="100%"), width="100%"),
                rx.card(rx.vstack(
                    rx.heading("Use your own certificate", as_="h2", size="4"),
                    rx.text("Upload a PKCS#12 file (.p12 or .pfx) holding the certificate and its private key. Its "
                            "key usage must allow digital signatures and non-repudiation.", size="2",
                            color_scheme="gray", high_contrast=True),
                    rx.el.label(rx.upload(
                        rx.vstack(rx.icon("key-round", size=22, aria_hidden="true"),
                                  rx.text("Drop the .p12 file here, or click to choose it", size="2"),
                                  rx.foreach(rx.selected_files("p12"), lambda f: rx.text(f, size="2",
                                                                                        weight="medium")),
                                  align="center", spacing="1"),
                        id="p12", accept={"application/x-pkcs12": [".p12", ".pfx"]}, max_files=1, multiple=False,
                        no_click=True, border="1px dashed var(--gray-a8)", border_radius="8px", padding="16px",
                        width="100%"), style={"display": "block", "width": "100%", "cursor": "pointer"}),
                    field("Password of the file", "p12-password", type_="password", value=S.password,
                          on_change=S.set_password, autocomplete="off",
                          max_length=limits.CERTIFICATE_PASSWORD),
                    alert_box(S.error),
                    rx.button("Replace the certificate", on_click=S.upload(rx.upload_files(upload_id="p12"))),
                    spacing="3", width="100%"), width="100%"),
                spacing="4", width="100%", max_width="760px"),
        ),
        title="Document sealing", crumbs=["Settings"],
    )
