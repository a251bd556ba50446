"""The client's Appointments pages keep what axe-core asked of them (found by the cross-role
journey, tests/e2e/test_appointments_cross_journey.py): Add to calendar's accessible name starts
with its visible text, the "Change your time zone" link in the sentence is underlined, and the
week picker's soft buttons are high-contrast. Checked on the built page's JSX, in a second."""
from __future__ import annotations

import re

import pytest


def _jsx(route: str) -> str:
    import portal_app.portal_app as module

    page = module.app._unevaluated_pages[route]
    return str(page.component() if callable(page.component) else page.component)


@pytest.mark.parametrize("route", ["appointments", "appointments/book"])
def test_zone_link_underlined_and_week_buttons_high_contrast(route):
    jsx = _jsx(route)
    assert re.search(r'underline:"always"\},jsx\(ReactRouterLink,\{to:"/profile#time-zone"\}', jsx)
    for label in ("Previous week", "Next week"):
        button = jsx[jsx.rindex("jsx(RadixThemesButton", 0, jsx.index(f'"{label}"')):jsx.index(f'"{label}"')]
        assert "highContrast:true" in button, label


def test_add_to_calendar_name_starts_with_its_visible_text():
    jsx = _jsx("appointments")
    assert '"aria-label":(("Add to calendar: "+' in jsx
    assert "to your calendar (.ics file)" not in jsx
