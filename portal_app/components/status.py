"""The one status badge, for every kind of thing with a status (invoices, documents,
payments, contacts, staff members), on client and staff pages alike: its words and colors
come from the table in models/status.py, so a status looks the same wherever it shows."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from portal_app.models.status import STATUS_STYLES

_BADGE = {"high_contrast": True, "size": "2", "white_space": "nowrap"}


def _as_str(status) -> Var:
    return status.to(str) if isinstance(status, Var) else Var.create(status)


def status_badge(kind: str, status) -> rx.Component:
    """A badge for `status` (a Var, e.g. row["status"]) of `kind` (a key of STATUS_STYLES).
    An unknown status shows as itself, in gray."""
    status = _as_str(status)
    return rx.match(
        status,
        *[(key, rx.badge(style.label, color_scheme=style.color, variant=style.variant, **_BADGE))
          for key, style in STATUS_STYLES[kind].items()],
        rx.badge(status, color_scheme="gray", variant="soft", **_BADGE),
    )


def status_in(status, statuses: tuple[str, ...]) -> Var:
    """A page's condition "status is one of these" (the tuples are the models' own,
    e.g. OPEN_STATUSES), so a page never lists statuses of its own."""
    status = _as_str(status)
    condition = status == statuses[0]
    for value in statuses[1:]:
        condition = condition | (status == value)
    return condition
