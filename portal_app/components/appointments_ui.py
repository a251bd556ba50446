"""The browser pieces of the client's Appointments pages (appointments.jsx, no eval):
`ZoneProbe` reports the browser's time zone once (on_zone(zone)); `CopyText` copies a text to
the clipboard and says so politely."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import passthrough_event_spec

_JSX = rx.asset("appointments.jsx", shared=True).importable_path


class ZoneProbe(rx.Component):
    """Calls on_zone with Intl.DateTimeFormat().resolvedOptions().timeZone once; draws nothing."""

    library = _JSX
    tag = "ZoneProbe"

    on_zone: rx.EventHandler[passthrough_event_spec(str)]


class CopyText(rx.Component):
    """A button copying `text` (a live region says "Copied.")."""

    library = _JSX
    tag = "CopyText"

    text: rx.Var[str]
    label: rx.Var[str]
    # what is copied, for screen readers: "Copy" + what ("Copy the webcal link")
    what: rx.Var[str]
