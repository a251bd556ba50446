"""Labelled form fields: every input has a visible label tied to it by id."""

from __future__ import annotations

import reflex as rx

# read by screen readers, not shown (the app has no utility CSS such as Tailwind's sr-only)
VISUALLY_HIDDEN = {"position": "absolute", "width": "1px", "height": "1px", "padding": "0", "margin": "-1px",
                   "overflow": "hidden", "clip": "rect(0, 0, 0, 0)", "whiteSpace": "nowrap", "border": "0"}

# Props of a link that downloads a file from an api/ route. `reload_document`: the browser
# requests it (React Router would route it inside the app). `download`: the browser treats
# it as a download, not a navigation, so no `beforeunload` fires, which would make Reflex
# drop the page's websocket (live updates stop until the next event reconnects it).
DOWNLOAD_LINK = {"reload_document": True, "download": ""}


def field(label: str, name: str, *, type_: str = "text", value=None, default_value=None,
          required: bool = False, autocomplete: str | None = None, max_length: int | None = None,
          on_change=None, hint: str | None = None, error=None, field_id: str | None = None,
          **props) -> rx.Component:
    """`field_id`: the input's id when one page has two fields of the same name (default f-<name>)."""
    field_id = field_id or f"f-{name}"
    input_props = dict(id=field_id, name=name, type=type_, required=required, width="100%",
                       size="3")
    if autocomplete:
        input_props["auto_complete"] = autocomplete
    if max_length:
        input_props["max_length"] = max_length
    if value is not None:
        input_props["value"] = value
    if default_value is not None:
        input_props["default_value"] = default_value
    if on_change is not None:
        input_props["on_change"] = on_change
    # the hint and the error (while one shows: an id that is absent is ignored) describe the input
    described = [f"{field_id}-{part}" for part, there in (("hint", hint), ("error", error)) if there is not None]
    if described:
        input_props["aria_describedby"] = " ".join(described)
    children = [
        rx.hstack(
            rx.el.label(label, html_for=field_id, style={"fontWeight": "500", "fontSize": "14px"}),
            # the input's `required` attribute tells assistive tech; the star is for the eye
            *([rx.el.span("*", aria_hidden="true", style={"color": "var(--red-11)", "fontSize": "14px"})]
              if required else []),
            spacing="1",
        ),
        rx.input(**input_props, **props),
    ]
    if hint is not None:
        children.append(rx.text(hint, id=f"{field_id}-hint", size="1", color_scheme="gray"))
    if error is not None:
        children.append(rx.cond(error != "", rx.text(error, id=f"{field_id}-error", size="2", color_scheme="red",
                                                     role="alert")))
    return rx.vstack(*children, spacing="1", width="100%", align="start")


def callout(*children, **props) -> rx.Component:
    """Radix callouts in high contrast: their default text fails WCAG AA on some tones."""
    return rx.callout(*children, high_contrast=True, **props)


def alert_box(message, tone: str = "red") -> rx.Component:
    return rx.cond(
        message != "",
        callout(message, color_scheme=tone, role="alert", width="100%"),
    )
