"""A plain HTML form that posts to an api/ route (Reflex's own form handles submit in JS).

Sign-in, setup and accepting an invitation post natively so that the server can answer
with an HttpOnly session cookie and a redirect.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]
    auto_complete: rx.Var[str]
    no_validate: rx.Var[bool]


native_form = NativeForm.create


def hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)
