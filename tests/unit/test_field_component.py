"""components/fields.field: the input is described by its hint and by its error message, so a
screen reader reads the reason a value was refused when the input has the focus."""

from __future__ import annotations

import reflex as rx

from portal_app.components.fields import field


class _S(rx.State):
    problem: str = ""


def _render(component) -> str:
    return str(component.render())


def test_an_input_is_described_by_its_hint_and_its_error():
    out = _render(field("Hostname", "hostname", hint="A subdomain.", error=_S.problem))
    assert "f-hostname-hint f-hostname-error" in out
    assert '"f-hostname-error"' in out  # the message carries the id the input points at


def test_without_an_error_only_the_hint_describes_it_and_without_either_nothing_does():
    assert '"aria-describedby":"f-city-hint"' in _render(field("City", "city", hint="Where you are."))
    assert "aria-describedby" not in _render(field("City", "city"))
